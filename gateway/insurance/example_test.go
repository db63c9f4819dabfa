package insurance_test

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/insurance"
)

// Two employees at 100,000,000 and 5,000,000 đ in region I, November 2024:
// each salary is capped on its own (46,800,000 for SI, OA and HI; 99,200,000
// for UI), so SI is owed on 51,800,000, not on 2 × 46,800,000.
func ExamplePrice() {
	d := decimal.RequireFromString
	p := insurance.Params{ReferenceLevel: d("2340000"), MinimumWage: d("4960000"), CapMultiple: d("20"), CapMultipleU: d("20"),
		Rates: map[string]decimal.Decimal{"employer_social": d("0.17"), "employer_health": d("0.03"), "employer_unemployment": d("0.01"),
			"employee_social": d("0.08"), "employee_health": d("0.015"), "employee_unemployment": d("0.01")}}
	since := insurance.MonthOf(2024, time.January)
	emps := []insurance.Employee{
		{SINumber: "0100000001", Salary: d("100000000"), From: since},
		{SINumber: "0100000002", Salary: d("5000000"), From: since},
	}
	priced, err := insurance.Price(p, insurance.OAStandard, emps, insurance.MonthOf(2024, time.November), false)
	if err != nil {
		panic(err)
	}
	for _, l := range priced.Lines {
		fmt.Printf("%-31s %11s × %-5s = %s\n", l.Code, l.Base, l.Rate.Shift(2).String()+"%", l.Amount)
	}
	fmt.Println("total", priced.Total())
	// Output:
	// employer_social                    51800000 × 17%   = 8806000
	// employer_occupational_accident     51800000 × 0.5%  = 259000
	// employer_health                    51800000 × 3%    = 1554000
	// employer_unemployment             104200000 × 1%    = 1042000
	// employee_social                    51800000 × 8%    = 4144000
	// employee_health                    51800000 × 1.5%  = 777000
	// employee_unemployment             104200000 × 1%    = 1042000
	// total 17624000
}
