package insurance

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/civicpay/civicpay/gateway/invalid"
)

const header = "si_number,full_name,nationality,salary,allowances,from_month,to_month\n"

func fieldCodes(t *testing.T, err error) []string {
	t.Helper()
	var errs invalid.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v (%T), want invalid.Errors", err, err)
	}
	out := make([]string, len(errs))
	for i, f := range errs {
		out[i] = f.Name + "=" + f.Code
	}
	return out
}

func TestParseCSV(t *testing.T) {
	t.Parallel()
	emps, err := ParseCSV([]byte("\ufeff" + "from_month,to_month,si_number,full_name,nationality,salary,allowances\n" +
		"2024-11,,0100000001,Nguyễn Văn A,VN,100000000,2000000\r\n" +
		"2024-01,2025-06,0100000002,\"Smith, John\",GB,50000000,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(emps) != 2 || emps[0].Line != 2 || emps[0].Foreign || emps[0].Allowances.String() != "2000000" ||
		!emps[1].Foreign || emps[1].Name != "Smith, John" || emps[1].To.String() != "2025-06" || !emps[0].To.IsZero() {
		t.Fatalf("employees = %+v", emps)
	}
}

// TestParseCSVReportsEveryRow: every bad field of every row, with the
// file's line number, in one answer, and no employee.
func TestParseCSVReportsEveryRow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		csv  string
		want []string
	}{
		{"no header", "", []string{"lines[1]=malformed_csv"}},
		{"missing and unknown columns", "si_number,full_name,salary,bonus\n", []string{
			"lines[1].nationality=required", "lines[1].allowances=required", "lines[1].from_month=required",
			"lines[1].to_month=required", "lines[1].bonus=invalid"}},
		{"scattered bad rows", header +
			"0100000001,A,VN,5000000,,2024-11,\n" +
			"010000002,B,VN,5000000,,2024-11,\n" + // 9 digits
			"0100000003,C,VN,5000000.5,,2024-11,\n" +
			"0100000004,D,vn,5000000,6000000,2024-13,2024-10\n" +
			"0100000001,E,VN,5000000,,2024-11,\n" + // repeats line 2
			"0100000006,,VN,-1,,2024-11,2024-10\n" +
			"0100000007,F,VN\n",
			[]string{"lines[3].si_number=invalid", "lines[4].salary=invalid_amount",
				"lines[5].nationality=invalid", "lines[5].allowances=invalid_amount", "lines[5].from_month=invalid_month",
				"lines[6].si_number=duplicate_si_number",
				"lines[7].full_name=required", "lines[7].salary=invalid_amount", "lines[7].to_month=invalid_month",
				"lines[8]=malformed_csv"}},
		{"bare quote", header + "0100000001,A \"x\" B,VN,5000000,,2024-11,\n0100000002,B,VN,1,,2024-11,\n",
			[]string{"lines[2]=malformed_csv"}},
		{"not UTF-8", header + "0100000001,\xff,VN,5000000,,2024-11,\n", []string{"body=malformed_csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emps, err := ParseCSV([]byte(tt.csv))
			if emps != nil {
				t.Fatalf("employees returned alongside errors: %v", emps)
			}
			if got := fieldCodes(t, err); !slices.Equal(got, tt.want) {
				t.Fatalf("errors = %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	eff, emps, err := ParseJSON([]byte(`{"effective_from":"2024-11","employees":[
		{"si_number":"0100000001","full_name":"A","nationality":"VN","salary":"5000000","from_month":"2024-11"}]}`))
	if err != nil || eff.String() != "2024-11" || len(emps) != 1 || emps[0].Salary.String() != "5000000" {
		t.Fatalf("eff %v emps %v err %v", eff, emps, err)
	}
	_, _, err = ParseJSON([]byte(`{"effective_from":"2024-13","employees":[
		{"si_number":"1","full_name":"A","nationality":"VN","salary":"5000000","from_month":"2024-11"},
		{"si_number":"0100000002","full_name":"B","nationality":"VN","salary":"0","from_month":"x"}]}`))
	want := []string{"effective_from=invalid_month", "employees[0].si_number=invalid",
		"employees[1].salary=invalid_amount", "employees[1].from_month=invalid_month"}
	if got := fieldCodes(t, err); !slices.Equal(got, want) {
		t.Fatalf("errors = %v", got)
	}
	if _, _, err := ParseJSON([]byte(`{"effective_from":"2024-11","employees":[],"extra":1}`)); !slices.Equal(fieldCodes(t, err), []string{"body=malformed_json"}) {
		t.Fatalf("unknown field: %v", err)
	}
}

// payrollCSV is n valid rows, with salaries spread around the caps.
func payrollCSV(n int) []byte {
	var b strings.Builder
	b.WriteString(header)
	for i := range n {
		fmt.Fprintf(&b, "%010d,Nhân viên %d,VN,%d,0,2024-11,\n", 100000000+i, i, 5_000_000+(i%100)*1_000_000)
	}
	return []byte(b.String())
}

func BenchmarkParseCSV10k(b *testing.B) {
	data := payrollCSV(10_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseCSV(data); err != nil {
			b.Fatal(err)
		}
	}
}
