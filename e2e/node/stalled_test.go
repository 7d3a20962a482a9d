package node

import (
	"testing"

	"github.com/synctl/synctl/pkg/verify"
)

// TestStalled: the rolling update tolerates, within one probe interval, a
// walk whose every failure is a timeout, and no other.
func TestStalled(t *testing.T) {
	pass := verify.Hop{Name: "page", Status: verify.Pass}
	skip := verify.Hop{Name: "result:socket", Status: verify.Skip}
	routeTimeout := verify.Hop{Name: "result", Status: verify.Fail, Cause: verify.CauseTimeout,
		Detail: "GET http://votingresult.internal/: net/http: request canceled (Client.Timeout exceeded while awaiting headers)"}
	linkHang := verify.Hop{Name: "vote:vote", Status: verify.Fail, Cause: verify.CauseLinkUnreachable,
		Detail: "POST http://voting.internal/: net/http: request canceled (Client.Timeout exceeded while awaiting headers)"}
	linkDown := verify.Hop{Name: "vote:vote", Status: verify.Fail, Cause: verify.CauseLinkUnreachable,
		Detail: "POST http://voting.internal/: 502 Bad Gateway"}
	refused := verify.Hop{Name: "result", Status: verify.Fail, Cause: verify.CauseNothingListening,
		Detail: "GET http://votingresult.internal/: dial tcp 10.96.0.12:80: connect: connection refused"}
	for _, tc := range []struct {
		name string
		hops []verify.Hop
		want bool
	}{
		{"a route timed out", []verify.Hop{pass, routeTimeout, skip}, true},
		{"a check hung on its link, a route timed out", []verify.Hop{pass, linkHang, routeTimeout, skip}, true},
		{"a link reported down", []verify.Hop{pass, linkDown}, false},
		{"refused", []verify.Hop{pass, refused, skip}, false},
		{"refused beside a timeout", []verify.Hop{pass, linkHang, refused}, false},
	} {
		if got := stalled(&verify.Report{Hops: tc.hops}); got != tc.want {
			t.Errorf("%s: stalled = %v, want %v", tc.name, got, tc.want)
		}
	}
}
