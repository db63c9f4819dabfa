package insurance

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/invalid"
)

// CSV columns of a declaration, in the order of the VSS D02-LT list. The
// header row must name each exactly once (any order).
var Columns = []string{"si_number", "full_name", "nationality", "salary", "allowances", "from_month", "to_month"}

// MaxEmployees bounds one declaration: above any real unit's payroll, small
// enough that a hostile upload cannot hold the gateway for long.
const MaxEmployees = 50_000

// MaxAmount bounds a declared salary (15 digits), as for every amount.
var MaxAmount = decimal.RequireFromString("999999999999999")

var (
	siNumberRE    = regexp.MustCompile(`^[0-9]{10}$`)
	nationalityRE = regexp.MustCompile(`^[A-Z]{2}$`)
	amountRE      = regexp.MustCompile(`^(0|[1-9][0-9]{0,14})$`)
)

// Field error codes of a declaration: stable, for portals to branch on.
const (
	CodeRequired      = "required"
	CodeInvalid       = "invalid"
	CodeInvalidAmount = "invalid_amount"
	CodeInvalidMonth  = "invalid_month"
	CodeDuplicate     = "duplicate_si_number"
	CodeBelowMinimum  = "below_minimum_wage"
	CodeTooMany       = "too_many_employees"
	CodeMalformed     = "malformed_csv"
)

// ParseCSV reads a declaration's rows with encoding/csv. It reports every
// bad row at once, as "lines[N].column" with N the file's line number (the
// header is line 1), and returns no employee when any row is bad, so a file
// with errors stores nothing.
func ParseCSV(data []byte) ([]Employee, error) {
	var errs invalid.Errors
	if !utf8.Valid(data) {
		errs.Add("body", CodeMalformed, "is not UTF-8")
		return nil, errs
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // spreadsheets write a BOM
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		errs.Add("lines[1]", CodeMalformed, "needs a header row naming "+strings.Join(Columns, ","))
		return nil, errs
	}
	idx, ok := headerIndex(header, &errs)
	if !ok {
		return nil, errs
	}
	var emps []Employee
	seen := map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			errs.Add(fmt.Sprintf("lines[%d]", pe.StartLine), CodeMalformed, pe.Err.Error())
			continue
		}
		if err != nil || len(rec) == 0 {
			errs.Add("body", CodeMalformed, "could not be read as CSV")
			break
		}
		line, _ := r.FieldPos(0) // only valid for a record read without error
		if len(emps) >= MaxEmployees {
			errs.Add(fmt.Sprintf("lines[%d]", line), CodeTooMany, fmt.Sprintf("a declaration holds at most %d employees", MaxEmployees))
			break
		}
		if len(rec) != len(Columns) {
			errs.Add(fmt.Sprintf("lines[%d]", line), CodeMalformed, fmt.Sprintf("has %d fields, the header %d", len(rec), len(Columns)))
			continue
		}
		get := func(col int) string { return strings.TrimSpace(rec[idx[col]]) }
		e := readEmployee(fmt.Sprintf("lines[%d].", line), line, get, &errs)
		dupCheck(e, seen, fmt.Sprintf("lines[%d].si_number", line), &errs)
		emps = append(emps, e)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return emps, nil
}

func headerIndex(header []string, errs *invalid.Errors) ([]int, bool) {
	pos := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := pos[h]; dup {
			errs.Add("lines[1]."+h, CodeInvalid, "the column appears twice")
		}
		pos[h] = i
	}
	idx := make([]int, len(Columns))
	for i, c := range Columns {
		p, ok := pos[c]
		if !ok {
			errs.Add("lines[1]."+c, CodeRequired, "the header has no such column")
		}
		idx[i] = p
		delete(pos, c)
	}
	for h := range pos {
		errs.Add("lines[1]."+fieldName(h), CodeInvalid, "is not a column of a declaration ("+strings.Join(Columns, ",")+")")
	}
	return idx, len(*errs) == 0
}

// readEmployee validates one row whatever its source; get returns the
// trimmed value of Columns[i].
func readEmployee(prefix string, line int, get func(int) string, errs *invalid.Errors) Employee {
	e := Employee{Line: line, SINumber: get(0), Name: get(1)}
	if !siNumberRE.MatchString(e.SINumber) {
		errs.Add(prefix+"si_number", CodeInvalid, "must be the 10-digit social-insurance number")
	}
	if n := utf8.RuneCountInString(e.Name); n < 1 || n > 200 {
		errs.Add(prefix+"full_name", CodeRequired, "must be 1 to 200 characters")
	}
	switch nat := get(2); {
	case nat == "VN":
	case nationalityRE.MatchString(nat):
		e.Foreign = true
	default:
		errs.Add(prefix+"nationality", CodeInvalid, "must be an ISO 3166 alpha-2 code: VN for Vietnamese, another for a foreign employee")
	}
	var ok bool
	if e.Salary, ok = amount(get(3)); !ok || !e.Salary.IsPositive() {
		errs.Add(prefix+"salary", CodeInvalidAmount, "must be a positive whole number of đồng, digits only")
	}
	allow := get(4)
	if allow == "" {
		allow = "0"
	}
	if e.Allowances, ok = amount(allow); !ok {
		errs.Add(prefix+"allowances", CodeInvalidAmount, "must be a whole number of đồng, digits only")
	} else if e.Salary.IsPositive() && e.Allowances.GreaterThan(e.Salary) {
		errs.Add(prefix+"allowances", CodeInvalidAmount, "are part of the salary, so cannot exceed it")
	}
	var err error
	if e.From, err = ParseMonth(get(5)); err != nil {
		errs.Add(prefix+"from_month", CodeInvalidMonth, "must be a month YYYY-MM")
	}
	if to := get(6); to != "" {
		if e.To, err = ParseMonth(to); err != nil {
			errs.Add(prefix+"to_month", CodeInvalidMonth, "must be empty or a month YYYY-MM")
		} else if !e.From.IsZero() && e.To.Before(e.From) {
			errs.Add(prefix+"to_month", CodeInvalidMonth, "must not be before from_month")
		}
	}
	return e
}

func dupCheck(e Employee, seen map[string]int, field string, errs *invalid.Errors) {
	if !siNumberRE.MatchString(e.SINumber) {
		return
	}
	if first, dup := seen[e.SINumber]; dup {
		errs.Add(field, CodeDuplicate, fmt.Sprintf("is already declared at %d", first))
		return
	}
	seen[e.SINumber] = e.Line
}

func amount(s string) (decimal.Decimal, bool) {
	if !amountRE.MatchString(s) {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(s)
	return d, err == nil && d.LessThanOrEqual(MaxAmount)
}

// fieldName bounds a client-chosen name before it is echoed in an error.
func fieldName(s string) string {
	if len(s) > 64 {
		return strings.ToValidUTF8(s[:64], "") + "…"
	}
	return s
}

// JSONDeclaration is the JSON form of an upload. Amounts are strings.
type JSONDeclaration struct {
	EffectiveFrom string         `json:"effective_from"`
	Employees     []JSONEmployee `json:"employees"`
}

// JSONEmployee is one row; the names are the CSV columns.
type JSONEmployee struct {
	SINumber    string `json:"si_number"`
	FullName    string `json:"full_name"`
	Nationality string `json:"nationality"`
	Salary      string `json:"salary"`
	Allowances  string `json:"allowances,omitempty"`
	FromMonth   string `json:"from_month"`
	ToMonth     string `json:"to_month,omitempty"`
}

// ParseJSON reads the JSON form strictly (unknown fields refused) with the
// same row rules as ParseCSV; errors name "employees[i].column".
func ParseJSON(data []byte) (Month, []Employee, error) {
	var d JSONDeclaration
	var errs invalid.Errors
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil || dec.More() {
		errs.Add("body", "malformed_json", "must be one object {effective_from, employees:[…]} with string values")
		return Month{}, nil, errs
	}
	eff, err := ParseMonth(d.EffectiveFrom)
	if err != nil {
		errs.Add("effective_from", CodeInvalidMonth, "must be a month YYYY-MM")
	}
	if len(d.Employees) > MaxEmployees {
		errs.Add("employees", CodeTooMany, fmt.Sprintf("a declaration holds at most %d employees", MaxEmployees))
		return Month{}, nil, errs
	}
	emps := make([]Employee, 0, len(d.Employees))
	seen := map[string]int{}
	for i, j := range d.Employees {
		cols := []string{j.SINumber, j.FullName, j.Nationality, j.Salary, j.Allowances, j.FromMonth, j.ToMonth}
		prefix := fmt.Sprintf("employees[%d].", i)
		e := readEmployee(prefix, i, func(c int) string { return strings.TrimSpace(cols[c]) }, &errs)
		dupCheck(e, seen, prefix+"si_number", &errs)
		emps = append(emps, e)
	}
	if len(errs) > 0 {
		return Month{}, nil, errs
	}
	return eff, emps, nil
}
