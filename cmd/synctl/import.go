package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"

	"github.com/synctl/synctl/pkg/importer/imported"
)

// importOptions are the compose import's inputs, as init --from takes them.
type importOptions struct {
	files      []string
	envFiles   []string
	profiles   []string
	projectDir string
	allowLossy bool
}

// args is the helper's command line for the import.
func (o importOptions) args() []string {
	args := []string{"import"}
	for _, f := range o.files {
		args = append(args, "--from", f)
	}
	for _, f := range o.envFiles {
		args = append(args, "--env-file", f)
	}
	for _, p := range o.profiles {
		args = append(args, "--profile", p)
	}
	if o.projectDir != "" {
		args = append(args, "--project-directory", o.projectDir)
	}
	if o.allowLossy {
		args = append(args, "--allow-lossy")
	}
	return args
}

// importCompose runs the compose import in the synctl-validate helper,
// which links compose-go's loader (see validateHelper), and reads its
// result. The helper's errors go to synctl's standard error as they are,
// and its exit status becomes synctl's.
func importCompose(s streams, o importOptions) (*imported.Result, error) {
	helper, err := findValidateHelper("synctl init --from and synctl diff --from compose.yaml run")
	if err != nil {
		return nil, err
	}
	if err := checkValidateHelper(helper); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	cmd := exec.Command(helper, o.args()...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, &out, s.Err
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() > 0 {
		return nil, silentExit(ee.ExitCode()) // the helper printed why
	}
	if err != nil {
		return nil, fmt.Errorf("running %s: %w", helper, err)
	}
	var res imported.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Report == nil {
		return nil, withCode(exitFailure, fmt.Errorf("%s wrote no import synctl can read (%v); %s", helper, err, installHelper(buildVersion())))
	}
	return &res, nil
}
