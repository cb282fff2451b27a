package safetensors

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The header's JSON, read after json.Valid has accepted it: an object's
// fields in order (duplicates found, which encoding/json would silently
// merge), values skipped or classified without decoding them, and integer
// arrays read exactly (shapes and offsets beyond float64's 2^53).

// objectFields splits a valid JSON object into its fields, in order. It
// returns the first repeated key, if any, instead of silently keeping the
// last value as encoding/json does. obj must have passed json.Valid: the
// scan below relies on it (it is a plain scanner rather than a
// json.Decoder because a header is parsed on every load, and the decoder's
// allocations dominated the time of loading a small model).
func objectFields(obj json.RawMessage) (fields []field, dup string) {
	i := skipSpace(obj, 0)
	if obj[i] != '{' {
		panic("safetensors: objectFields: not an object") // obj was validated
	}
	i++
	seen := make(map[string]bool)
	for {
		i = skipSpace(obj, i)
		if obj[i] == '}' {
			return fields, ""
		}
		k0 := i
		i = skipString(obj, i)
		key := unquote(obj[k0:i])
		i = skipSpace(obj, i) + 1 // ':'
		v0 := skipSpace(obj, i)
		i = skipValue(obj, v0)
		if seen[key] {
			return nil, key
		}
		seen[key] = true
		fields = append(fields, field{key, obj[v0:i:i]})
		i = skipSpace(obj, i)
		if obj[i] == ',' {
			i++
		}
	}
}

// The scanners below read JSON that json.Valid accepted.

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[i])) { // number, true, false, null
		i++
	}
	return i
}

// unquote decodes a JSON string literal.
func unquote(q []byte) string {
	if bytes.IndexByte(q, '\\') < 0 {
		return string(q[1 : len(q)-1])
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		panic("safetensors: unquote: " + err.Error()) // q was validated
	}
	return s
}

// jsonKind names the kind of a valid JSON value.
func jsonKind(v json.RawMessage) string {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// intArray parses a JSON array of integers. Values above math.MaxUint64
// saturate to it. neg is the text of the first negative element, or "".
// A non-array or a non-integer element makes ok false. v must be valid
// JSON.
func intArray(v json.RawMessage) (vals []uint64, neg string, ok bool) {
	if jsonKind(v) != "array" {
		return nil, "", false
	}
	i := skipSpace(v, 0) + 1 // past '['
	for {
		i = skipSpace(v, i)
		if v[i] == ']' {
			return vals, neg, true
		}
		e0 := i
		i = skipValue(v, i)
		s := string(v[e0:i])
		digits := strings.TrimPrefix(s, "-")
		if digits == "" || strings.Trim(digits, "0123456789") != "" {
			return nil, "", false // not an integer: 1.5, 1e3, "3", null, [1]
		}
		var x uint64
		if s[0] == '-' {
			if neg == "" && strings.Trim(digits, "0") != "" { // -0 is 0
				neg = s
			}
		} else if p, err := strconv.ParseUint(s, 10, 64); err == nil {
			x = p
		} else {
			x = math.MaxUint64 // only range errors remain
		}
		vals = append(vals, x)
		i = skipSpace(v, i)
		if v[i] == ',' {
			i++
		}
	}
}

// clip shortens a JSON value for an error message.
func clip(v json.RawMessage) string {
	s := string(bytes.TrimSpace(v))
	if len(s) <= 60 {
		return s
	}
	cut := 57
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
