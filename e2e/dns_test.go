package e2e

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"testing"
)

// Docker gives every container on a user-defined network an embedded DNS
// server at 127.0.0.11, which resolves the names of the containers on its
// networks; nginx asks it when its configuration names a `resolver` (to
// re-resolve upstreams at run time). The emulated host serves the same
// answers there: A records for the names the container's /etc/hosts holds,
// NXDOMAIN for any other name (there is no upstream DNS to forward to).
const dockerDNS = "127.0.0.11:53"

// dnsTTL is what Docker's embedded server answers with.
const dnsTTL = 600

// serveDNS starts the embedded DNS server inside c, answering names.
func (h *dockerHost) serveDNS(c *container, names map[string]net.IP) {
	h.t.Helper()
	var pc net.PacketConn
	if err := h.inContainer(c, func() error {
		var err error
		pc, err = net.ListenPacket("udp4", dockerDNS)
		return err
	}); err != nil {
		h.t.Fatalf("%s: embedded DNS at %s: %v", c.name, dockerDNS, err)
	}
	h.mu.Lock()
	h.closers = append(h.closers, pc)
	h.mu.Unlock()
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return // closed at teardown
			}
			if resp, err := dnsAnswer(buf[:n], names); err == nil {
				dnsQueries.Add(1)
				_, _ = pc.WriteTo(resp, from)
			}
		}
	}()
}

// DNS message constants (RFC 1035).
const (
	dnsTypeA   = 1
	dnsClassIN = 1
	flagQR     = 1 << 15
	flagAA     = 1 << 10
	flagRD     = 1 << 8
	flagRA     = 1 << 7
	rcodeNX    = 3
	rcodeFail  = 2
)

// dnsAnswer answers one query of one question: an A record when the name
// is known and the type is A, no record (NOERROR) for another type of a
// known name, NXDOMAIN for an unknown name.
func dnsAnswer(q []byte, names map[string]net.IP) ([]byte, error) {
	if len(q) < 12 {
		return nil, errors.New("short DNS header")
	}
	flags := binary.BigEndian.Uint16(q[2:4])
	if flags&flagQR != 0 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return nil, errors.New("not a query of one question")
	}
	// The question: labels up to the root label, then type and class.
	var labels []string
	i := 12
	for {
		if i >= len(q) {
			return nil, errors.New("truncated name")
		}
		l := int(q[i])
		i++
		if l == 0 {
			break
		}
		if l > 63 || i+l > len(q) {
			return nil, errors.New("bad label")
		}
		labels = append(labels, string(q[i:i+l]))
		i += l
	}
	if i+4 > len(q) {
		return nil, errors.New("truncated question")
	}
	qtype := binary.BigEndian.Uint16(q[i : i+2])
	qclass := binary.BigEndian.Uint16(q[i+2 : i+4])
	question := q[12 : i+4]

	resp := make([]byte, 12, 12+len(question)+16)
	copy(resp, q[:2])
	rflags := uint16(flagQR|flagAA|flagRA) | flags&flagRD | flags&0x7800 // opcode
	ip, known := names[strings.ToLower(strings.Join(labels, "."))]
	var answers uint16
	switch {
	case qclass != dnsClassIN:
		rflags |= rcodeFail
	case !known:
		rflags |= rcodeNX
	case qtype == dnsTypeA && ip.To4() != nil:
		answers = 1
	}
	binary.BigEndian.PutUint16(resp[2:4], rflags)
	binary.BigEndian.PutUint16(resp[4:6], 1)
	binary.BigEndian.PutUint16(resp[6:8], answers)
	resp = append(resp, question...)
	if answers == 1 {
		// The name as a pointer to the question's, at offset 12.
		resp = append(resp, 0xc0, 12)
		resp = binary.BigEndian.AppendUint16(resp, dnsTypeA)
		resp = binary.BigEndian.AppendUint16(resp, dnsClassIN)
		resp = binary.BigEndian.AppendUint32(resp, dnsTTL)
		resp = binary.BigEndian.AppendUint16(resp, 4)
		resp = append(resp, ip.To4()...)
	}
	return resp, nil
}

// TestDNSAnswer checks the embedded DNS emulation against Go's own
// resolver, which parses what it answers.
func TestDNSAnswer(t *testing.T) {
	names := map[string]net.IP{"api": net.ParseIP("10.213.1.3"), "web": net.ParseIP("10.213.1.2")}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp, err := dnsAnswer(buf[:n], names); err == nil {
				_, _ = pc.WriteTo(resp, from)
			}
		}
	}()
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp4", pc.LocalAddr().String())
	}}
	ips, err := r.LookupIP(t.Context(), "ip4", "API.")
	if err != nil || len(ips) != 1 || !ips[0].Equal(names["api"]) {
		t.Errorf("lookup api: %v %v, want %v", ips, err, names["api"])
	}
	_, err = r.LookupIP(t.Context(), "ip4", "crawler.")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Errorf("lookup crawler: %v, want not found", err)
	}
	if ips, err := r.LookupIP(t.Context(), "ip6", "web."); len(ips) != 0 {
		t.Errorf("AAAA of web: %v %v, want no address", ips, err)
	}
	for _, bad := range [][]byte{nil, make([]byte, 11), append(make([]byte, 12), 0x40)} {
		if _, err := dnsAnswer(bad, names); err == nil {
			t.Errorf("dnsAnswer(%x) answered a malformed query", bad)
		}
	}
}
