package receipts

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"

	"github.com/skip2/go-qrcode"
)

// printCSS keeps the printable page on one A5 sheet and readable on a phone.
const printCSS = `body{font-family:"DejaVu Sans","Noto Sans",Arial,sans-serif;max-width:42rem;margin:1.5rem auto;padding:0 1rem;color:#111}
h1{font-size:1.3rem;text-align:center;margin:.2rem 0}p.sub{text-align:center;margin:.2rem 0}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{text-align:left;vertical-align:top;padding:.25rem .4rem;border-bottom:1px solid #ddd}
th{width:38%;font-weight:600}.ok{color:#0a6b2c}.bad{color:#a40000}.sig{font-family:monospace;font-size:.75rem;word-break:break-all}
img.qr{float:right;width:7rem;height:7rem}@media print{a{color:inherit;text-decoration:none}}`

var pageTmpl = template.Must(template.New("receipt").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Biên lai {{.R.Series}} {{.R.Number}}</title><style>{{.CSS}}</style></head><body>
{{template "body" .}}
</body></html>
{{define "body"}}
<article>
{{if .QR}}<img class="qr" alt="Mã QR kiểm tra biên lai" src="data:image/png;base64,{{.QR}}">{{end}}
<p class="sub">{{.R.AgencyName}}</p>
<h1>BIÊN LAI THU PHÍ, LỆ PHÍ (ĐIỆN TỬ)</h1>
<p class="sub">Mẫu số: {{.R.Form}} · Ký hiệu: {{.R.Series}} · Số: {{.R.Number}}</p>
<table>
<tr><th>Đơn vị thu</th><td>{{.R.AgencyName}}</td></tr>
<tr><th>Địa chỉ</th><td>{{.R.AgencyAddress}}</td></tr>
<tr><th>Mã số thuế</th><td>{{.R.AgencyTaxCode}}</td></tr>
<tr><th>Người nộp</th><td>{{.R.PayerName}}</td></tr>
<tr><th>Số giấy tờ</th><td>{{.R.PayerID}}</td></tr>
<tr><th>Nội dung thu</th><td>{{.R.ServiceName}} ({{.R.ServiceCode}})</td></tr>
<tr><th>Mã hồ sơ / tham chiếu</th><td>{{.R.Reference}}</td></tr>
<tr><th>Số tiền</th><td>{{.Amount}} đ</td></tr>
<tr><th>Bằng chữ</th><td>{{.R.AmountWords}}</td></tr>
<tr><th>Hình thức thanh toán</th><td>{{.R.MethodName}}</td></tr>
<tr><th>Mã giao dịch</th><td>{{.R.ProviderTxnID}}</td></tr>
<tr><th>Thời điểm thanh toán</th><td>{{.Paid}}</td></tr>
<tr><th>Ngày lập</th><td>{{.Issued}}</td></tr>
</table>
{{range .R.Adjustments}}<p class="bad">{{if eq .Kind "cancellation"}}Đã hủy{{else}}Đã điều chỉnh{{end}} ngày {{.IssuedAt}}: hoàn {{.Amount}} đ (hoàn tiền {{.Refund}}), còn lại {{.Remaining}} đ.</p>{{end}}
<p>Ký điện tử bởi cổng thanh toán civicpay · khóa <code>{{.R.KeyID}}</code></p>
<p class="sig">{{.R.Signature}}</p>
<p>Kiểm tra: <a href="{{.R.VerifyURL}}">{{.R.VerifyURL}}</a></p>
</article>
{{end}}`))

var verifyTmpl = template.Must(template.Must(pageTmpl.Clone()).Parse(`{{define "verify"}}<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Kiểm tra biên lai điện tử</title><style>{{.CSS}}</style></head><body>
{{if not .Items}}<h1 class="bad">Không tìm thấy biên lai</h1><p class="sub">Không có biên lai nào mang ký hiệu và số này. Biên lai bạn cầm có thể không do civicpay phát hành.</p>{{end}}
{{range .Items}}
{{if .Err}}<h1 class="bad">✗ Biên lai KHÔNG hợp lệ</h1><p class="sub">{{.Err}}</p>
{{else}}<h1 class="ok">✓ Biên lai hợp lệ, chưa bị sửa đổi</h1><p class="sub">Chữ ký điện tử khớp với khóa công khai {{.R.KeyID}} của cổng thanh toán. Hãy so sánh từng dòng dưới đây với biên lai bạn cầm.</p>{{end}}
{{template "body" .}}
{{end}}
</body></html>{{end}}`))

type pageData struct {
	R                    Receipt
	CSS                  template.CSS
	QR                   string
	Amount, Paid, Issued string
	Err                  string
}

func newPageData(r Receipt, withQR bool) (pageData, error) {
	d := pageData{R: r, CSS: template.CSS(printCSS), Amount: groupDigits(r.Amount), Paid: displayTime(r.PaidAt), Issued: displayTime(r.IssuedAt)}
	if withQR {
		png, err := qrcode.Encode(r.VerifyURL, qrcode.Medium, 256)
		if err != nil {
			return d, fmt.Errorf("receipts: qr: %w", err)
		}
		d.QR = base64.StdEncoding.EncodeToString(png)
	}
	return d, nil
}

// HTML is the printable receipt page.
func HTML(r Receipt) ([]byte, error) {
	d, err := newPageData(r, true)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("receipts: page: %w", err)
	}
	return buf.Bytes(), nil
}

// VerifyPage says, for each receipt found, whether its signature holds
// with the published keys, and shows what was signed.
func VerifyPage(found []Receipt, keys []PublicKey) ([]byte, error) {
	var items []pageData
	for _, r := range found {
		d, err := newPageData(r, false)
		if err != nil {
			return nil, err
		}
		if err := Check(keys, r); err != nil {
			d.Err = "Chữ ký điện tử không khớp với nội dung: biên lai đã bị sửa đổi, hoặc không do cổng thanh toán này phát hành (" + err.Error() + ")."
		}
		items = append(items, d)
	}
	var buf bytes.Buffer
	err := verifyTmpl.ExecuteTemplate(&buf, "verify", map[string]any{"Items": items, "CSS": template.CSS(printCSS)})
	if err != nil {
		return nil, fmt.Errorf("receipts: verify page: %w", err)
	}
	return buf.Bytes(), nil
}

// groupDigits prints 1250000 as 1.250.000, the Vietnamese grouping.
func groupDigits(s string) string {
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, '.')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// displayTime prints an RFC 3339 time of the canonical form as a
// Vietnamese reader expects it, in Asia/Ho_Chi_Minh.
func displayTime(rfc3339 string) string {
	t, err := parseTime(rfc3339)
	if err != nil {
		return rfc3339
	}
	return t.In(Zone).Format("15:04:05 ngày 02/01/2006")
}
