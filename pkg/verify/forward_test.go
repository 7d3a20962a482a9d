package verify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/synctl/synctl/pkg/verify"
)

// TestVerifyForward walks deployments whose routes do not exist: the entry
// URL names a host that does not resolve, and each public service is
// reached at its own address instead, with the route's prefix removed, as
// through a `kubectl port-forward` to its Service.
func TestVerifyForward(t *testing.T) {
	for _, tt := range []struct {
		name string
		spec string
		s    setup
	}{
		{"built-in, faithful", builtin, setup{layout: proxied, faithful: true, prefix: map[string]string{"api": "/api"}}},
		{"shop", shop, setup{layout: proxied}},
		{"transit", transit, setup{layout: proxied, prefix: map[string]string{"trips": "/t/"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := deploy(t, load(t, tt.spec), tt.s)
			d.opts.Forward = map[string]string{}
			for _, r := range d.w.Routes {
				d.opts.Forward[r.Service] = strings.TrimPrefix(d.addr[r.Service], "http://")
			}
			rep, out := d.run(t, "http://app.invalid/")
			if !rep.OK() {
				t.Fatalf("want every hop to pass through the forwarded addresses:\n%s", out)
			}
			if !rep.Forwarded || !strings.Contains(out, "\nnote: the public services were reached through --forward, not through their routes") {
				t.Errorf("the report does not say the routes were not checked:\n%s", out)
			}
		})
	}
}

func TestVerifyForwardErrors(t *testing.T) {
	m := load(t, shop)
	d := deploy(t, m, setup{layout: proxied})
	all := map[string]string{}
	for _, r := range d.w.Routes {
		all[r.Service] = "127.0.0.1:1"
	}
	with := func(k, v string) map[string]string {
		f := map[string]string{}
		for a, b := range all {
			f[a] = b
		}
		if v == "" {
			delete(f, k)
		} else {
			f[k] = v
		}
		return f
	}
	for _, tt := range []struct {
		forward map[string]string
		want    string
	}{
		{with("cart", ""), "public service cart has no address"},
		{with("nope", "127.0.0.1:2"), "the app has no service nope"},
		{with("search", "127.0.0.1:2"), "search is not a public service"},
		{with("cart", "localhost"), "want HOST:PORT"},
	} {
		_, err := verify.Run(context.Background(), d.m, d.w, "http://app.invalid/", verify.Options{Forward: tt.forward})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Forward %v: error %v, want one containing %q", tt.forward, err, tt.want)
		}
	}
}
