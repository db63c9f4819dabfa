package receipts

import (
	"bytes"
	_ "embed"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"
)

// DejaVu Sans covers every Vietnamese letter with its stacked diacritics
// (ệ, ở, ữ…), which the PDF core fonts cannot show; fonts/LICENSE. One
// face only: each embedded font costs a parse and a deflate per document,
// the larger part of the render time, so headings are set larger, not bold.
//
//go:embed fonts/DejaVuSans-vi.ttf
var fontRegular []byte

// PDF renders a receipt on one A5 page with the QR code of its
// verification page. The bytes depend only on the receipt (the creation
// date is the issue time), so a receipt downloaded twice is the same file.
func PDF(r Receipt) ([]byte, error) {
	d, err := newPageData(r, false)
	if err != nil {
		return nil, err
	}
	qr, err := qrcode.New(r.VerifyURL, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("receipts: qr: %w", err)
	}
	f := fpdf.New("P", "mm", "A5", "")
	f.SetCatalogSort(true)
	// Deflating each stream costs more than the whole layout (a fresh
	// compressor per stream); the uncompressed receipt is still small.
	f.SetCompression(false)
	f.SetMargins(10, 10, 10)
	f.SetAutoPageBreak(true, 10)
	if t, err := parseTime(r.IssuedAt); err == nil {
		f.SetCreationDate(t)
		f.SetModificationDate(t)
	} else {
		f.SetCreationDate(time.Unix(0, 0))
	}
	f.SetTitle("Biên lai "+r.Series+" "+r.Number, true)
	f.SetAuthor(r.AgencyName, true)
	f.SetCreator("civicpay", true)
	f.AddUTF8FontFromBytes("dejavu", "", fontRegular)
	f.AddPage()
	w, _ := f.GetPageSize()
	inner := w - 20

	drawQR(f, qr.Bitmap(), w-10-28, 10, 28)
	f.LinkString(w-10-28, 10, 28, 28, r.VerifyURL)

	f.SetFont("dejavu", "", 8)
	f.MultiCell(inner-30, 4, r.AgencyName, "", "L", false)
	f.MultiCell(inner-30, 4, "Địa chỉ: "+r.AgencyAddress, "", "L", false)
	f.MultiCell(inner-30, 4, "Mã số thuế: "+r.AgencyTaxCode, "", "L", false)
	f.SetY(40)
	f.SetFont("dejavu", "", 14)
	f.CellFormat(inner, 7, "BIÊN LAI THU PHÍ, LỆ PHÍ", "", 1, "C", false, 0, "")
	f.SetFont("dejavu", "", 8)
	f.CellFormat(inner, 4, "(Biên lai điện tử)", "", 1, "C", false, 0, "")
	f.CellFormat(inner, 5, "Mẫu số: "+r.Form+"    Ký hiệu: "+r.Series+"    Số: "+r.Number, "", 1, "C", false, 0, "")
	f.Ln(3)

	rows := [][2]string{
		{"Người nộp", r.PayerName},
		{"Số giấy tờ", r.PayerID},
		{"Nội dung thu", r.ServiceName + " (" + r.ServiceCode + ")"},
		{"Mã hồ sơ / tham chiếu", r.Reference},
		{"Số tiền", d.Amount + " đồng"},
		{"Bằng chữ", r.AmountWords},
		{"Hình thức thanh toán", r.MethodName},
		{"Mã giao dịch", r.ProviderTxnID},
		{"Thời điểm thanh toán", d.Paid},
		{"Ngày lập biên lai", d.Issued},
	}
	const labelW = 44
	f.SetFont("dejavu", "", 9)
	for _, row := range rows {
		y := f.GetY()
		f.SetTextColor(90, 90, 90)
		f.MultiCell(labelW, 5, row[0], "", "L", false)
		f.SetXY(10+labelW, y)
		f.SetTextColor(0, 0, 0)
		f.MultiCell(inner-labelW, 5, row[1], "", "L", false)
	}
	for _, a := range r.Adjustments {
		f.Ln(1)
		f.SetTextColor(164, 0, 0)
		what := "Điều chỉnh"
		if a.Kind == KindCancellation {
			what = "Hủy"
		}
		f.MultiCell(inner, 5, fmt.Sprintf("%s %s: hoàn %s đồng (%s), còn lại %s đồng", what, displayTime(a.IssuedAt), groupDigits(a.Amount), a.Refund, groupDigits(a.Remaining)), "", "L", false)
	}
	f.Ln(4)
	f.SetTextColor(0, 0, 0)
	f.SetFont("dejavu", "", 7)
	f.MultiCell(inner, 3.5, "Ký điện tử (Ed25519) bởi cổng thanh toán civicpay, khóa "+r.KeyID+". Chữ ký:", "", "L", false)
	f.MultiCell(inner, 3.5, r.Signature, "", "L", false)
	f.MultiCell(inner, 3.5, "Kiểm tra tính xác thực: quét mã QR hoặc mở "+r.VerifyURL, "", "L", false)
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("receipts: pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// drawQR draws the code's dark modules as squares: vector, so it prints
// sharp at any size, and no PNG to encode and decode.
func drawQR(f *fpdf.Fpdf, bits [][]bool, x, y, size float64) {
	if len(bits) == 0 {
		return
	}
	m := size / float64(len(bits))
	f.SetFillColor(0, 0, 0)
	for row, line := range bits {
		for col := 0; col < len(line); col++ {
			if !line[col] {
				continue
			}
			run := col
			for run+1 < len(line) && line[run+1] {
				run++
			}
			f.Rect(x+float64(col)*m, y+float64(row)*m, float64(run-col+1)*m, m, "F")
			col = run
		}
	}
}
