package strictjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Errors that make a document unreadable as a whole; no field is decoded.
var (
	ErrEmpty    = errors.New("strictjson: no JSON value")
	ErrSyntax   = errors.New("strictjson: not valid JSON")
	ErrTrailing = errors.New("strictjson: data after the JSON value")
)

// maxDepth is encoding/json's nesting limit, so that both accept the same
// documents.
const maxDepth = 10000

// node is one parsed JSON value: its kind, its bytes in the document, and
// for objects and arrays its members (keys already unescaped, in order).
type node struct {
	kind       byte // '{', '[', '"', '0' (number), 't' (true/false), 'n' (null)
	start, end int
	keys       []string
	vals       []*node
}

type parser struct {
	data  []byte
	pos   int
	depth int
	slab  []node // nodes are cut from here, a few allocations per document
}

func (p *parser) node(kind byte, start int) *node {
	if len(p.slab) == 0 {
		p.slab = make([]node, 16)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	n.kind, n.start = kind, start
	return n
}

// parse reads exactly one JSON value with nothing but whitespace around it.
func parse(data []byte) (*node, error) {
	p := &parser{data: data}
	p.space()
	if p.pos == len(data) {
		return nil, ErrEmpty
	}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(data) {
		return nil, fmt.Errorf("%w at offset %d", ErrTrailing, p.pos)
	}
	return n, nil
}

func (p *parser) fail(what string) error {
	return fmt.Errorf("%w: %s at offset %d", ErrSyntax, what, p.pos)
}

func (p *parser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() (*node, error) {
	if p.pos >= len(p.data) {
		return nil, p.fail("unexpected end")
	}
	start := p.pos
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		if _, err := p.str(); err != nil {
			return nil, err
		}
		n := p.node('"', start)
		n.end = p.pos
		return n, nil
	case c == '-' || (c >= '0' && c <= '9'):
		if err := p.number(); err != nil {
			return nil, err
		}
		n := p.node('0', start)
		n.end = p.pos
		return n, nil
	case c == 't':
		return p.literal("true", 't')
	case c == 'f':
		return p.literal("false", 't')
	case c == 'n':
		return p.literal("null", 'n')
	}
	return nil, p.fail("unexpected character")
}

func (p *parser) literal(word string, kind byte) (*node, error) {
	start := p.pos
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return nil, p.fail("invalid literal")
	}
	p.pos += len(word)
	n := p.node(kind, start)
	n.end = p.pos
	return n, nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.fail("nesting too deep")
	}
	return nil
}

func (p *parser) object() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	n := p.node('{', p.pos)
	p.pos++ // {
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		n.end = p.pos
		p.depth--
		return n, nil
	}
	for {
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.fail("expected a key")
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.fail("expected ':'")
		}
		p.pos++
		p.space()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.keys, n.vals = append(n.keys, key), append(n.vals, v)
		p.space()
		if p.pos < len(p.data) && p.data[p.pos] == ',' {
			p.pos++
			p.space()
			continue
		}
		if p.pos < len(p.data) && p.data[p.pos] == '}' {
			p.pos++
			n.end = p.pos
			p.depth--
			return n, nil
		}
		return nil, p.fail("expected ',' or '}'")
	}
}

func (p *parser) array() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	n := p.node('[', p.pos)
	p.pos++ // [
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		n.end = p.pos
		p.depth--
		return n, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.vals = append(n.vals, v)
		p.space()
		if p.pos < len(p.data) && p.data[p.pos] == ',' {
			p.pos++
			p.space()
			continue
		}
		if p.pos < len(p.data) && p.data[p.pos] == ']' {
			p.pos++
			n.end = p.pos
			p.depth--
			return n, nil
		}
		return nil, p.fail("expected ',' or ']'")
	}
}

// str reads a string and returns its value as encoding/json would decode
// it (escapes resolved, invalid UTF-8 replaced), so that keys compare the
// way the decoder will see them: "\u0061mount" is "amount".
func (p *parser) str() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	plain := true
	for {
		if p.pos >= len(p.data) {
			return "", p.fail("unterminated string")
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			raw := p.data[start:p.pos]
			if plain && utf8.Valid(raw) {
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", p.fail("invalid string")
			}
			return s, nil
		case c < 0x20:
			return "", p.fail("control character in string")
		case c == '\\':
			plain = false
			p.pos++
			if p.pos >= len(p.data) {
				return "", p.fail("unterminated string")
			}
			switch p.data[p.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.pos++
			case 'u':
				p.pos++
				for i := 0; i < 4; i++ {
					if p.pos >= len(p.data) || !isHex(p.data[p.pos]) {
						return "", p.fail("invalid \\u escape")
					}
					p.pos++
				}
			default:
				return "", p.fail("invalid escape")
			}
		default:
			p.pos++
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) number() error {
	if p.data[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(p.data) && p.data[p.pos] == '0':
		p.pos++
	case p.pos < len(p.data) && isDigit(p.data[p.pos]):
		for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
			p.pos++
		}
	default:
		return p.fail("invalid number")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if p.pos >= len(p.data) || !isDigit(p.data[p.pos]) {
			return p.fail("invalid number")
		}
		for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
			p.pos++
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if p.pos >= len(p.data) || !isDigit(p.data[p.pos]) {
			return p.fail("invalid number")
		}
		for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
			p.pos++
		}
	}
	return nil
}
