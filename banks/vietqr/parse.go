package vietqr

import (
	"strings"
	"unicode/utf8"
)

// object is one TLV data object; off is its byte offset in the payload.
type object struct {
	id, value string
	off       int
}

// Parse decodes and checks a VietQR payload: TLV structure (nested 38 and
// 62 included), CRC, and the fields that route money. Lengths count
// characters, as EMVCo specifies, so UTF-8 merchant text is accepted.
// Unknown tags are skipped; an absent tag 01 is read as static.
func Parse(s string) (Payload, error) {
	if !utf8.ValidString(s) {
		return Payload{}, &SyntaxError{firstInvalidUTF8(s), "invalid UTF-8"}
	}
	root, err := split(s, 0)
	if err != nil {
		return Payload{}, err
	}
	if err := checkFrame(s, root); err != nil {
		return Payload{}, err
	}
	return decode(root)
}

// split cuts s into TLV objects, rejecting duplicate IDs so that no two
// readers can disagree about which value counts.
func split(s string, base int) ([]object, error) {
	var out []object
	var seen [100]bool
	for i := 0; i < len(s); {
		if len(s)-i < 4 {
			return nil, &SyntaxError{base + i, "truncated ID/length header"}
		}
		id, length := s[i:i+2], s[i+2:i+4]
		if !isDigits(id) || !isDigits(length) {
			return nil, &SyntaxError{base + i, "ID and length must be 2 digits each"}
		}
		n := int(length[0]-'0')*10 + int(length[1]-'0')
		if n == 0 {
			return nil, &SyntaxError{base + i + 2, "zero length"}
		}
		k := int(id[0]-'0')*10 + int(id[1]-'0')
		if seen[k] {
			return nil, &SyntaxError{base + i, "duplicate ID " + id}
		}
		seen[k] = true
		end, ok := skipRunes(s, i+4, n)
		if !ok {
			return nil, &SyntaxError{base + i + 2, "value of ID " + id + " runs past the end"}
		}
		out = append(out, object{id, s[i+4 : end], base + i})
		i = end
	}
	return out, nil
}

func skipRunes(s string, i, n int) (int, bool) {
	for ; n > 0; n-- {
		if i >= len(s) {
			return 0, false
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i, true
}

// checkFrame enforces 00 first and 63 last, then the CRC over everything
// up to and including "6304".
func checkFrame(s string, root []object) error {
	if len(root) == 0 || root[0].id != "00" || root[0].value != "01" {
		return &SyntaxError{0, "must start with 000201"}
	}
	last := root[len(root)-1]
	if last.id != "63" || len(last.value) != 4 {
		return &SyntaxError{last.off, "must end with CRC object 6304XXXX"}
	}
	want := CRC16(s[:len(s)-4])
	if !strings.EqualFold(last.value, want) {
		return &CRCError{Got: last.value, Want: want}
	}
	return nil
}

func decode(root []object) (Payload, error) {
	p := Payload{Static: true}
	var have [100]bool
	for _, o := range root {
		have[int(o.id[0]-'0')*10+int(o.id[1]-'0')] = true
		if err := p.set(o); err != nil {
			return Payload{}, err
		}
	}
	for _, id := range [...]int{38, 53, 58} {
		if !have[id] {
			return Payload{}, &SyntaxError{0, "missing mandatory ID " + string([]byte{byte('0' + id/10), byte('0' + id%10)})}
		}
	}
	if err := checkRouting(p.BIN, p.Account, p.Amount); err != nil {
		return Payload{}, err
	}
	return p, nil
}

func (p *Payload) set(o object) error {
	switch o.id {
	case "01":
		return p.setInitiation(o.value)
	case "38":
		return p.setMerchantAccount(o)
	case "52":
		p.MCC = o.value
	case "53":
		if o.value != "704" {
			return &FieldError{"currency", "must be 704 (VND), got " + o.value}
		}
	case "54":
		p.Amount = o.value
	case "58":
		if o.value != "VN" {
			return &FieldError{"country", "must be VN, got " + o.value}
		}
	case "59":
		p.MerchantName = o.value
	case "60":
		p.MerchantCity = o.value
	case "62":
		return p.setAdditional(o)
	}
	return nil
}

func (p *Payload) setInitiation(v string) error {
	switch v {
	case "11":
		p.Static = true
	case "12":
		p.Static = false
	default:
		return &FieldError{"Static", "point of initiation must be 11 or 12, got " + v}
	}
	return nil
}

func (p *Payload) setMerchantAccount(o object) error {
	subs, err := split(o.value, o.off+4)
	if err != nil {
		return err
	}
	var org object
	napas := false
	for _, sub := range subs {
		switch sub.id {
		case "00":
			napas = strings.EqualFold(sub.value, GUID)
		case "01":
			org = sub
		case "02":
			p.Service = sub.value
		}
	}
	if !napas {
		return &FieldError{"GUID", "tag 38 is not a NAPAS account (38.00 must be " + GUID + ")"}
	}
	if org.id == "" {
		return &SyntaxError{o.off, "tag 38 has no beneficiary organisation (01)"}
	}
	return p.setBeneficiary(org)
}

func (p *Payload) setBeneficiary(o object) error {
	subs, err := split(o.value, o.off+4)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		switch sub.id {
		case "00":
			p.BIN = sub.value
		case "01":
			p.Account = sub.value
		}
	}
	return nil
}

func (p *Payload) setAdditional(o object) error {
	subs, err := split(o.value, o.off+4)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		if sub.id == "08" {
			p.Purpose = sub.value
		}
	}
	return nil
}
