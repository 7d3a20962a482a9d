package topology

import "strings"

// The spec's name forms, matched byte by byte. Regular expressions said the
// same, but each was compiled when the package loaded, so every command
// paid for them before it ran (and the image reference's, compiled for each
// render, took as long as the rest of validation). names_test.go holds each
// matcher to the expression it replaces.

// A byteSet is a set of ASCII bytes.
type byteSet [256]bool

// newByteSet is the set of the bytes in each of ranges, a range being two
// bytes (a-z as "az") or one.
func newByteSet(ranges ...string) *byteSet {
	var s byteSet
	for _, r := range ranges {
		lo, hi := r[0], r[len(r)-1]
		for b := int(lo); b <= int(hi); b++ {
			s[b] = true
		}
	}
	return &s
}

// all reports whether v is non-empty and every byte of it is in s.
func (s *byteSet) all(v string) bool {
	for i := 0; i < len(v); i++ {
		if !s[v[i]] {
			return false
		}
	}
	return v != ""
}

var (
	lowerDigit   = newByteSet("az", "09")
	lower        = newByteSet("az")
	labelByte    = newByteSet("az", "09", "-")
	envFirst     = newByteSet("AZ", "az", "_")
	envByte      = newByteSet("AZ", "az", "09", "_")
	pathByte     = newByteSet("AZ", "az", "09", ".", "_", "~", "/", "-")
	upper        = newByteSet("AZ")
	schemeByte   = newByteSet("az", "09", "+", ".", "-")
	userByte     = newByteSet("AZ", "az", "09", ".", "_", "~", "-")
	registryByte = newByteSet("AZ", "az", "09", ".", "-")
	digit        = newByteSet("09")
	tagByte      = newByteSet("AZ", "az", "09", "_", ".", "-")
	lowerHex     = newByteSet("af", "09")
)

// isLabel is a label of labelByte's bytes that starts with a byte of first
// and ends with a lowercase letter or digit.
func isLabel(v string, first *byteSet) bool {
	return v != "" && first[v[0]] && labelByte.all(v) && lowerDigit[v[len(v)-1]]
}

// IsDNS1123Label reports whether v is a DNS label (RFC 1123), of any
// length: lowercase letters, digits and '-', starting and ending with a
// letter or digit.
func IsDNS1123Label(v string) bool { return isLabel(v, lowerDigit) }

// isDNS1035Label is a DNS-1123 label that starts with a letter (RFC 1035).
func isDNS1035Label(v string) bool { return isLabel(v, lower) }

// IsEnvName reports whether v is an environment variable name: a letter
// or '_', then letters, digits and '_'.
func IsEnvName(v string) bool { return v != "" && envFirst[v[0]] && envByte.all(v) }

// IsURLPath reports whether v is '/' then the unreserved URL characters
// and '/': nothing that could end an nginx directive, start a comment or
// leave a YAML scalar.
func IsURLPath(v string) bool { return strings.HasPrefix(v, "/") && pathByte.all(v) }

// isMethod is an HTTP method token in capitals.
func isMethod(v string) bool { return upper.all(v) }

// IsScheme reports whether v is a URL scheme: a lowercase letter, then
// lowercase letters, digits, '+', '.' and '-'.
func IsScheme(v string) bool { return v != "" && lower[v[0]] && schemeByte.all(v) }

// IsURLUser reports whether v is a URL's user: unreserved characters, at
// least one.
func IsURLUser(v string) bool { return userByte.all(v) }

// isImageRef is a container image reference, registry/path[:tag][@digest]:
// an optional registry host (letters, digits, '.', '-', then an optional
// ":port"), one or more path components of lowercase letters and digits
// joined by '.', '_', '__' or a run of '-', an optional tag of up to 128
// characters, and an optional sha256 digest.
func isImageRef(v string) bool {
	if name, digest, ok := strings.Cut(v, "@"); ok {
		hex, ok := strings.CutPrefix(digest, "sha256:")
		if !ok || len(hex) != 64 || !lowerHex.all(hex) {
			return false
		}
		v = name
	}
	if i := strings.LastIndexByte(v, ':'); i > strings.LastIndexByte(v, '/') {
		tag := v[i+1:]
		if len(tag) > 128 || tag == "" || tag[0] == '.' || tag[0] == '-' || !tagByte.all(tag) {
			return false
		}
		v = v[:i]
	}
	if allComponents(v) {
		return true
	}
	registry, path, ok := strings.Cut(v, "/")
	if !ok || !allComponents(path) {
		return false
	}
	host, port, hasPort := strings.Cut(registry, ":")
	return registryByte.all(host) && (!hasPort || digit.all(port))
}

// allComponents reports whether v is one or more path components joined by
// '/'.
func allComponents(v string) bool {
	for part := range strings.SplitSeq(v, "/") {
		if !isComponent(part) {
			return false
		}
	}
	return true
}

// isComponent is an image path component: runs of lowercase letters and
// digits joined by '.', '_', '__' or one or more '-'.
func isComponent(v string) bool {
	if v == "" || !lowerDigit[v[0]] || !lowerDigit[v[len(v)-1]] {
		return false
	}
	for i := 0; i < len(v); {
		if lowerDigit[v[i]] {
			i++
			continue
		}
		j := i
		for j < len(v) && !lowerDigit[v[j]] {
			j++
		}
		switch sep := v[i:j]; {
		case sep == "." || sep == "_" || sep == "__":
		case strings.Trim(sep, "-") == "":
		default:
			return false
		}
		i = j
	}
	return true
}
