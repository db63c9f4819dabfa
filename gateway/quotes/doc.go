// Package quotes computes what a payer owes, on the server, as line items
// that add up exactly to the total, and stores the result as a quote that a
// payment later charges. The client never sends an amount it chose for a
// computed service; it sends the facts (overdue tax and dates; an SI unit
// and a period) and gets the amount back.
//
// Money is github.com/shopspring/decimal, never float, in whole đồng (VND
// has no minor unit). Money inputs are strings of 1–15 ASCII digits with no
// leading zero, so every amount has exactly one spelling.
//
// # Rounding
//
// Every rounding is half-up to whole đồng (decimal.Round(0) applied only to
// non-negative values, where its half-away-from-zero is half-up):
//
//   - tax_late_interest: interest = overdue × 0.0003 × days late, rounded
//     once on the exact product (never per day). Days late = paid − due − 1,
//     at least 0. The principal is an input and is not rounded.
//   - social_insurance: priced by gateway/insurance from the unit's
//     declaration in force, employee by employee (each salary capped on its
//     own); each of the seven fund/party lines is the exact sum over
//     employees rounded once. The total is the exact sum of the lines.
//   - fixed and payer_declared: no rounding; non-integral amounts are refused.
//   - Lines.Total never rounds: it is an exact sum of whole đồng.
//
// docs/ROUNDING.md repeats this as a table.
package quotes
