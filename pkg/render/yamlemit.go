package render

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// appendYAML appends doc, a document tree of the values docOf and yamlValue
// make (map[string]any, []any, string, int, bool, nil), to buf as the block
// YAML yaml.v2's Marshal writes for it: keys in yaml.v2's order, the same
// scalar styles and the same folding of long lines at 80 columns. It writes
// straight into buf, where yaml.v2 first queues every event of the document
// and copies every scalar into its own buffers.
//
// It covers what manifests hold: printable ASCII text (and line breaks in
// values), plain keys. For anything else (other characters, keys that need
// quotes or are longer than 128 bytes, values yaml.v2 would end with "..."
// or write in a style this does not) it reports false and leaves buf's
// length as it was; the caller then takes yaml.v2. TestEmitMatchesYAMLv2
// and FuzzEmitScalar hold it to yaml.v2's bytes, but for one case where
// those bytes mislead yaml.v3: a value yaml.v2 writes plain that v3 reads
// as another type ("0o+0"), which this quotes.
func appendYAML(buf []byte, doc any) ([]byte, bool) {
	return appendDoc(buf, doc, &yamlV2)
}

// appendYAMLv4 is appendYAML for the block YAML go.yaml.in/yaml/v4 writes
// with indent 2 and its default options, as compose-go's
// Project.MarshalYAML does: sequences indented inside mappings, no folding
// of long lines, yaml.v4's order of map keys, and the orderedMap of a
// struct's fields (composeDocOf) in the struct's order.
// TestComposeEmitMatchesYAMLv4 and FuzzEmitScalarV4 hold it to yaml.v4.
func appendYAMLv4(buf []byte, doc any) ([]byte, bool) {
	return appendDoc(buf, doc, &yamlV4)
}

func appendDoc(buf []byte, doc any, d *dialect) ([]byte, bool) {
	e := emitter{buf: buf, start: len(buf), line: len(buf), d: d}
	if !e.node(doc, 0, false, true) {
		return buf[:e.start], false
	}
	e.newline()
	return e.buf, true
}

// dialect is what differs between the YAML libraries the emitter writes
// like.
type dialect struct {
	// width is where long lines fold; 0: never.
	width int
	// seqIndent indents a sequence inside a mapping ("key:\n  - a").
	seqIndent bool
	// lib is the major version of the library: 4 writes text of blanks and
	// line breaks in double quotes, not as a block; they read prefixed
	// integers differently (resolvesNonStringIn); 3 and 4 quote "<<", the
	// merge key, which 2 writes plain.
	lib     int
	compare func(a, b string) int
}

var (
	yamlV2 = dialect{width: bestWidth, lib: 2, compare: keyCompare}
	yamlV4 = dialect{seqIndent: true, lib: 4, compare: keyCompareV4}
	yamlV3 = dialect{seqIndent: true, lib: 3, compare: keyCompareV4}
)

// appendYAMLv3 is appendYAMLv4 for gopkg.in/yaml.v3 at indent 2, the
// library that reads the bundle record back. FuzzRecord holds it to
// yaml.v3's bytes.
func appendYAMLv3(buf []byte, doc any) ([]byte, bool) {
	return appendDoc(buf, doc, &yamlV3)
}

// orderedMap is a mapping whose keys stay in the order given (a struct's
// fields). An item with key inlineKey holds a map[string]any whose keys
// follow, sorted.
type orderedMap []mapItem

type mapItem struct {
	key   string
	value any
}

// emitter writes one document. line is where the current line starts in
// buf, so the column is len(buf)-line; libyaml's emitter counts columns in
// characters, which for ASCII is bytes.
type emitter struct {
	buf         []byte
	start, line int
	keys        [][]string // a key slice per depth, reused
	depth       int
	d           *dialect
}

// bestWidth is where yaml.v2 folds long lines.
const bestWidth = 80

func (e *emitter) col() int { return len(e.buf) - e.line }

func (e *emitter) newline() {
	if e.col() > 0 {
		e.buf = append(e.buf, '\n')
		e.line = len(e.buf)
	}
}

// indentTo starts a node at column indent: on a new line, or (inline) on
// this one after a "- " indicator.
func (e *emitter) indentTo(indent int, inline bool) {
	if !inline {
		e.newline()
	}
	for e.col() < indent {
		e.buf = append(e.buf, ' ')
	}
}

// node writes v as the value of a block mapping or sequence whose own
// indentation is indent. inline is set for a sequence item (the item
// starts right after "-") and for the document's root.
func (e *emitter) node(v any, indent int, inSeq, root bool) bool {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			e.buf = append(e.buf, " {}"[btoi(root):]...)
			return true
		}
		child := indent + 2
		if root {
			child = 0
		}
		return e.mapping(v, child, inSeq || root)
	case orderedMap:
		if len(v) == 0 || len(v) == 1 && v[0].key == inlineKey && len(v[0].value.(map[string]any)) == 0 {
			e.buf = append(e.buf, " {}"[btoi(root):]...)
			return true
		}
		child := indent + 2
		if root {
			child = 0
		}
		return e.ordered(v, child, inSeq || root)
	case []any:
		if len(v) == 0 {
			e.buf = append(e.buf, " []"[btoi(root):]...)
			return true
		}
		// A sequence in a mapping is not indented ("key:\n- a"); one in a
		// sequence is ("- - a").
		child := indent
		if inSeq || e.d.seqIndent && !root {
			child = indent + 2
		}
		return e.sequence(v, child, inSeq || root)
	}
	if root {
		return false // a scalar document: yaml.v2 may end it with "..."
	}
	return e.scalar(v, indent+2)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (e *emitter) mapping(m map[string]any, indent int, inline bool) bool {
	if e.depth == len(e.keys) {
		e.keys = append(e.keys, nil)
	}
	keys := e.keys[e.depth][:0]
	for k := range m {
		if !plainKey(k) {
			return false
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, e.d.compare)
	e.keys[e.depth] = keys
	e.depth++
	defer func() { e.depth-- }()
	for i, k := range keys {
		e.indentTo(indent, inline && i == 0)
		e.buf = append(e.buf, k...)
		e.buf = append(e.buf, ':')
		if !e.node(m[k], indent, false, false) {
			return false
		}
	}
	return true
}

// ordered writes an orderedMap: its keys as given, an inline map's sorted
// in its place.
func (e *emitter) ordered(m orderedMap, indent int, inline bool) bool {
	first := true
	for _, it := range m {
		if it.key == inlineKey {
			im := it.value.(map[string]any)
			if len(im) == 0 {
				continue
			}
			if !e.mapping(im, indent, inline && first) {
				return false
			}
			first = false
			continue
		}
		if !plainKey(it.key) {
			return false
		}
		e.indentTo(indent, inline && first)
		first = false
		e.buf = append(e.buf, it.key...)
		e.buf = append(e.buf, ':')
		if !e.node(it.value, indent, false, false) {
			return false
		}
	}
	return true
}

// fold reports whether a space at the current column is where a long line
// folds.
func (e *emitter) fold() bool { return e.d.width > 0 && e.col() > e.d.width }

func (e *emitter) sequence(l []any, indent int, inline bool) bool {
	for i, v := range l {
		e.indentTo(indent, inline && i == 0)
		e.buf = append(e.buf, '-')
		if !e.node(v, indent, true, false) {
			return false
		}
	}
	return true
}

// scalar writes a scalar after its indicator (":" or "-"); indent is where
// its continuation lines start.
func (e *emitter) scalar(v any, indent int) bool {
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, " null"...)
	case bool:
		e.buf = append(e.buf, ' ')
		e.buf = strconv.AppendBool(e.buf, v)
	case int:
		e.buf = append(e.buf, ' ')
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case string:
		return e.str(v, indent)
	default:
		return false
	}
	return true
}

// str writes a string value in the style yaml.v2 picks: a literal block
// for text with line breaks (double quotes when a block cannot hold it),
// double quotes for text that would read back as another type, plain when
// YAML allows it, single quotes otherwise.
func (e *emitter) str(s string, indent int) bool {
	a, ok := analyze(s)
	if !ok {
		return false
	}
	if e.d.lib == 4 && a.breaks && strings.TrimSpace(s) == "" {
		e.doubleQuoted(s, indent) // yaml.v4 writes no block of blanks
		return true
	}
	switch {
	case a.breaks && a.blockOK:
		return e.literal(s, indent)
	case a.breaks:
		e.doubleQuoted(s, indent)
	case s == "" || resolvesNonStringIn(s, e.d.lib) || e.d.lib > 2 && s == "<<":
		e.doubleQuoted(s, indent)
	case a.plainOK:
		e.plain(s, indent)
	default:
		e.singleQuoted(s, indent)
	}
	return true
}

// scalarInfo is what the styles depend on, for text of printable ASCII and
// line feeds.
type scalarInfo struct {
	breaks  bool // holds a line break
	plainOK bool // may be written plain in block context
	blockOK bool // may be written as a literal block
}

func printableASCII(c byte) bool { return c >= 0x20 && c <= 0x7e }

func analyze(s string) (scalarInfo, bool) {
	a := scalarInfo{plainOK: true, blockOK: true}
	if s == "" {
		return a, true
	}
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		a.plainOK = false
	}
	prevSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !printableASCII(c) && c != '\n' {
			return a, false
		}
		// Followed by a blank (space or tab: no tabs get here) or the end.
		followedByBlank := i+1 == len(s) || s[i+1] == ' '
		if i == 0 {
			switch c {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				a.plainOK = false
			case '?', ':', '-':
				if followedByBlank {
					a.plainOK = false
				}
			}
		} else {
			switch c {
			case ':':
				if followedByBlank {
					a.plainOK = false
				}
			case '#':
				if p := s[i-1]; p == ' ' || p == '\n' {
					a.plainOK = false
				}
			}
		}
		switch c {
		case ' ':
			if i == 0 || i == len(s)-1 {
				a.plainOK = false
			}
			if i == len(s)-1 {
				a.blockOK = false
			}
			prevSpace = true
		case '\n':
			a.breaks = true
			a.plainOK = false
			if prevSpace {
				a.blockOK = false // a space before a break
			}
			prevSpace = false
		default:
			prevSpace = false
		}
	}
	return a, true
}

// plainKey reports whether a mapping key can be written as it is: a simple
// key (at most 128 bytes) of printable ASCII that reads back as the same
// string ("<<" reads back as YAML's merge key). Other keys take yaml.v2.
func plainKey(k string) bool {
	if k == "" || len(k) > 128 || k == "<<" {
		return false
	}
	a, ok := analyze(k)
	// A key v2 or v3 reads as another type (the v2 dialect's answer covers
	// both) is left to the libraries.
	return ok && !a.breaks && a.plainOK && !resolvesNonStringIn(k, 2)
}

func (e *emitter) plain(s string, indent int) {
	e.buf = append(e.buf, ' ')
	spaces := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			if !spaces && e.fold() && s[i+1] != ' ' {
				e.indentTo(indent, false)
			} else {
				e.buf = append(e.buf, c)
			}
			spaces = true
			continue
		}
		e.buf = append(e.buf, c)
		spaces = false
	}
}

func (e *emitter) singleQuoted(s string, indent int) {
	e.buf = append(e.buf, " '"...)
	spaces := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			if !spaces && e.fold() && i > 0 && i < len(s)-1 && s[i+1] != ' ' {
				e.indentTo(indent, false)
			} else {
				e.buf = append(e.buf, c)
			}
			spaces = true
			continue
		}
		if c == '\'' {
			e.buf = append(e.buf, '\'')
		}
		e.buf = append(e.buf, c)
		spaces = false
	}
	e.buf = append(e.buf, '\'')
}

func (e *emitter) doubleQuoted(s string, indent int) {
	e.buf = append(e.buf, " \""...)
	spaces := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			e.buf = append(e.buf, '\\', c)
			spaces = false
		case '\n':
			e.buf = append(e.buf, '\\', 'n')
			spaces = false
		case ' ':
			if !spaces && e.fold() && i > 0 && i < len(s)-1 {
				e.indentTo(indent, false)
				if s[i+1] == ' ' {
					e.buf = append(e.buf, '\\')
				}
			} else {
				e.buf = append(e.buf, c)
			}
			spaces = true
		default:
			e.buf = append(e.buf, c)
			spaces = false
		}
	}
	e.buf = append(e.buf, '"')
}

// literal writes a "|" block. Text ending in more than one line break
// takes yaml.v2 ("|+" ends the document with "...").
func (e *emitter) literal(s string, indent int) bool {
	n := len(s)
	if s[n-1] == '\n' && (n == 1 || s[n-2] == '\n') {
		return false
	}
	e.buf = append(e.buf, " |"...)
	if s[0] == ' ' || s[0] == '\n' {
		e.buf = append(e.buf, '2') // the indentation, which the text cannot show
	}
	if s[n-1] != '\n' {
		e.buf = append(e.buf, '-')
	}
	e.buf = append(e.buf, '\n')
	e.line = len(e.buf)
	atStart := true
	for i := 0; i < n; i++ {
		c := s[i]
		if c == '\n' {
			e.buf = append(e.buf, '\n')
			e.line = len(e.buf)
			atStart = true
			continue
		}
		if atStart {
			for e.col() < indent {
				e.buf = append(e.buf, ' ')
			}
			atStart = false
		}
		e.buf = append(e.buf, c)
	}
	return true
}

// keyCompare orders mapping keys as yaml.v2 does: character by character,
// letters after other characters, and runs of digits by their value, so
// that "a2" comes before "a10". Keys reaching it are ASCII (plainKey).
func keyCompare(a, b string) int {
	if keyLess(a, b) {
		return -1
	}
	if keyLess(b, a) {
		return 1
	}
	return 0
}

// keyCompareV4 orders mapping keys as yaml.v4 does: as yaml.v2, except
// that after an equal digit a letter comes before a non-letter.
func keyCompareV4(a, b string) int {
	if keyLessV4(a, b) {
		return -1
	}
	if keyLessV4(b, a) {
		return 1
	}
	return 0
}

func keyLessV4(a, b string) bool {
	digits := false
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == b[i] {
			digits = isDigit(a[i])
			continue
		}
		al, bl := isLetter(a[i]), isLetter(b[i])
		if al && bl {
			return a[i] < b[i]
		}
		if al || bl {
			if digits {
				return al
			}
			return bl
		}
		return numberRunLess(a, b, i)
	}
	return len(a) < len(b)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

func keyLess(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == b[i] {
			continue
		}
		al, bl := isLetter(a[i]), isLetter(b[i])
		if al && bl {
			return a[i] < b[i]
		}
		if al || bl {
			return bl
		}
		return numberRunLess(a, b, i)
	}
	return len(a) < len(b)
}

// numberRunLess compares a and b where they first differ, at i, in two
// characters that are digits or punctuation: by the value of the runs of
// digits that start there. A zero inside a number (after a non-zero digit)
// counts as part of it.
func numberRunLess(a, b string, i int) bool {
	var an, bn int64
	if a[i] == '0' || b[i] == '0' {
		for j := i - 1; j >= 0 && isDigit(a[j]); j-- {
			if a[j] != '0' {
				an, bn = 1, 1
				break
			}
		}
	}
	ai, bi := i, i
	for ; ai < len(a) && isDigit(a[ai]); ai++ {
		an = an*10 + int64(a[ai]-'0')
	}
	for ; bi < len(b) && isDigit(b[bi]); bi++ {
		bn = bn*10 + int64(b[bi]-'0')
	}
	if an != bn {
		return an < bn
	}
	if ai != bi {
		return ai < bi
	}
	return a[i] < b[i]
}

// resolvesNonStringIn reports whether plain text s would read back as
// something other than a string (null, a boolean, a number, a timestamp or
// a base-60 number) in the library the emitter writes like (lib): such
// text is written in double quotes. The libraries differ in the prefixed
// integers they read besides Go's own (strconv with base 0): v2 and v3 read
// "0b" followed by a signed binary number ("0b+1", "0b-1"), v3 an "0o"
// octal the same way, v4 neither. For v2's dialect (manifests) the answer
// is v2's or v3's: v2 writes "0o+0" plain, and v3 (Kustomize's kyaml among
// its users) reads it as the integer 0, so this is the one place the
// emitter quotes where yaml.v2 does not.
// Old booleans ("yes", "on") and base-60 numbers are strings to v3 and v4
// but still written in quotes, as v2 writes them.
func resolvesNonStringIn(s string, lib int) bool {
	if s == "" {
		return true
	}
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"on", "On", "ON", "off", "Off", "OFF",
		"~", "null", "Null", "NULL",
		".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
		"+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return true
	}
	switch c := s[0]; {
	case c == '.':
		_, err := strconv.ParseFloat(s, 64)
		return err == nil
	case c == '+' || c == '-' || isDigit(c):
		return numberLike(s, lib)
	}
	return false
}

// numberLike is resolvesNonStringIn for text starting with a sign or a
// digit.
func numberLike(s string, lib int) bool {
	if timestampLike(s) || base60Like(s) {
		return true
	}
	plain := strings.ReplaceAll(s, "_", "")
	if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return true
	}
	if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return true
	}
	if yamlFloat(plain) {
		if _, err := strconv.ParseFloat(plain, 64); err == nil {
			return true
		}
	}
	if lib == 4 {
		return false
	}
	return prefixedInt(plain, "0b", 2) || lib <= 3 && prefixedInt(plain, "0o", 8)
}

// prefixedInt reports whether s is prefix and an integer in base (with a
// sign of its own: "0b+1"), or "-" prefix and a number, as yaml.v2 and v3
// read them.
func prefixedInt(s, prefix string, base int) bool {
	if digits, ok := strings.CutPrefix(s, prefix); ok {
		if _, err := strconv.ParseInt(digits, base, 64); err == nil {
			return true
		}
		_, err := strconv.ParseUint(digits, base, 64)
		return err == nil
	}
	if digits, ok := strings.CutPrefix(s, "-"+prefix); ok {
		_, err := strconv.ParseInt("-"+digits, base, 64)
		return err == nil
	}
	return false
}

// yamlFloat matches [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
func yamlFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// base60Like matches YAML 1.1's base-60 numbers,
// [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?, which yaml.v2 quotes.
func base60Like(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i >= len(s) || !isDigit(s[i]) {
		return false
	}
	for i < len(s) && (isDigit(s[i]) || s[i] == '_') {
		i++
	}
	groups := 0
	for i < len(s) && s[i] == ':' {
		i++
		switch {
		case i+1 < len(s) && s[i] >= '0' && s[i] <= '5' && isDigit(s[i+1]):
			i += 2
		case i < len(s) && isDigit(s[i]):
			i++
		default:
			return false
		}
		groups++
	}
	if groups == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && (isDigit(s[i]) || s[i] == '_') {
			i++
		}
	}
	return i == len(s)
}

// timestampLike reports whether s reads as a YAML timestamp in one of the
// layouts yaml.v2 accepts.
func timestampLike(s string) bool {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, layout := range []string{
		"2006-1-2T15:4:5.999999999Z07:00",
		"2006-1-2t15:4:5.999999999Z07:00",
		"2006-1-2 15:4:5.999999999",
		"2006-1-2",
	} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}
