package target

import (
	"bufio"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// projectHistory matches words that speak of how the project was made
// rather than of the program: a design note, an issue number. A reader of
// the code has neither.
var projectHistory = regexp.MustCompile(`(?i)\bseed note\b|\bseed's (table|note|progression)\b|\b(issue|ticket) #?[0-9]+\b`)

// TestCommentsSpeakOfTheProgram: comments in Go code and shell scripts say
// what the program does, not where a decision came from.
func TestCommentsSpeakOfTheProgram(t *testing.T) {
	fset := token.NewFileSet()
	for _, root := range []string{"cmd", "pkg", "internal", "e2e", "bench", ".ci"} {
		err := filepath.WalkDir(filepath.Join("../..", root), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel("../..", p)
			switch {
			case strings.HasSuffix(p, ".go"):
				f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
				if err != nil {
					return err
				}
				for _, g := range f.Comments {
					if m := projectHistory.FindString(g.Text()); m != "" {
						t.Errorf("%s: comment says %q: say what the code does, not where it came from", fset.Position(g.Pos()), m)
					}
				}
			case strings.HasSuffix(p, ".sh") || filepath.Base(filepath.Dir(p)) == ".ci":
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				sc := bufio.NewScanner(strings.NewReader(string(data)))
				for line := 1; sc.Scan(); line++ {
					text := strings.TrimSpace(sc.Text())
					if _, comment, ok := strings.Cut(text, "#"); ok {
						if m := projectHistory.FindString(comment); m != "" {
							t.Errorf("%s:%d: comment says %q: say what the script does, not where it came from", rel, line, m)
						}
					}
				}
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}
