// Package demo seeds a database with the demo catalogue: the State Treasury
// of each of the 63 provinces, Vietnam Social Security, sample services and a
// demo portal. Every account number here is made up and marked demo.
package demo

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/civicpay/civicpay/gateway/pg"
	"github.com/civicpay/civicpay/gateway/portals"
)

type province struct{ code, abbr, name string }

// provinces are the 63 provinces and centrally-run cities with their GSO codes.
var provinces = []province{
	{"01", "HN", "Hà Nội"}, {"02", "HG", "Hà Giang"}, {"04", "CB", "Cao Bằng"}, {"06", "BK", "Bắc Kạn"},
	{"08", "TQ", "Tuyên Quang"}, {"10", "LCA", "Lào Cai"}, {"11", "DB", "Điện Biên"}, {"12", "LCH", "Lai Châu"},
	{"14", "SL", "Sơn La"}, {"15", "YB", "Yên Bái"}, {"17", "HB", "Hòa Bình"}, {"19", "TN", "Thái Nguyên"},
	{"20", "LS", "Lạng Sơn"}, {"22", "QNI", "Quảng Ninh"}, {"24", "BG", "Bắc Giang"}, {"25", "PT", "Phú Thọ"},
	{"26", "VP", "Vĩnh Phúc"}, {"27", "BN", "Bắc Ninh"}, {"30", "HD", "Hải Dương"}, {"31", "HP", "Hải Phòng"},
	{"33", "HY", "Hưng Yên"}, {"34", "TB", "Thái Bình"}, {"35", "HNA", "Hà Nam"}, {"36", "ND", "Nam Định"},
	{"37", "NB", "Ninh Bình"}, {"38", "TH", "Thanh Hóa"}, {"40", "NA", "Nghệ An"}, {"42", "HT", "Hà Tĩnh"},
	{"44", "QB", "Quảng Bình"}, {"45", "QT", "Quảng Trị"}, {"46", "TTH", "Thừa Thiên Huế"}, {"48", "DNG", "Đà Nẵng"},
	{"49", "QNA", "Quảng Nam"}, {"51", "QNG", "Quảng Ngãi"}, {"52", "BDI", "Bình Định"}, {"54", "PY", "Phú Yên"},
	{"56", "KH", "Khánh Hòa"}, {"58", "NT", "Ninh Thuận"}, {"60", "BTH", "Bình Thuận"}, {"62", "KT", "Kon Tum"},
	{"64", "GL", "Gia Lai"}, {"66", "DLK", "Đắk Lắk"}, {"67", "DNO", "Đắk Nông"}, {"68", "LD", "Lâm Đồng"},
	{"70", "BP", "Bình Phước"}, {"72", "TNI", "Tây Ninh"}, {"74", "BDU", "Bình Dương"}, {"75", "DNA", "Đồng Nai"},
	{"77", "BRVT", "Bà Rịa - Vũng Tàu"}, {"79", "HCM", "Thành phố Hồ Chí Minh"}, {"80", "LA", "Long An"}, {"82", "TG", "Tiền Giang"},
	{"83", "BTR", "Bến Tre"}, {"84", "TV", "Trà Vinh"}, {"86", "VL", "Vĩnh Long"}, {"87", "DT", "Đồng Tháp"},
	{"89", "AG", "An Giang"}, {"91", "KG", "Kiên Giang"}, {"92", "CT", "Cần Thơ"}, {"93", "HGI", "Hậu Giang"},
	{"94", "ST", "Sóc Trăng"}, {"95", "BL", "Bạc Liêu"}, {"96", "CM", "Cà Mau"},
}

// treasuryBanks are the four banks State Treasury accounts are usually held at.
var treasuryBanks = []struct{ bin, name string }{
	{"970436", "Vietcombank"}, {"970415", "VietinBank"}, {"970418", "BIDV"}, {"970405", "Agribank"},
}

type service struct {
	code, agency, kind, vi, en, rule string
	fixed, min, max                  string
	computed                         string
}

// services are samples of each kind; amounts are illustrative, not legal advice.
var services = []service{
	{code: "HT-KHAISINH", agency: "KBNN-HN", kind: "fee", vi: "Đăng ký khai sinh (lệ phí)", en: "Birth registration fee", rule: "fixed", fixed: "8000"},
	{code: "GPLX-CAPDOI", agency: "KBNN-HN", kind: "fee", vi: "Cấp đổi giấy phép lái xe", en: "Driving-licence renewal", rule: "fixed", fixed: "135000"},
	{code: "HT-TRICHLUC", agency: "KBNN-HCM", kind: "charge", vi: "Cấp bản sao trích lục hộ tịch", en: "Civil-status extract copy", rule: "fixed", fixed: "8000"},
	{code: "LPTB-OTO", agency: "KBNN-HCM", kind: "fee", vi: "Lệ phí trước bạ ô tô", en: "Car registration fee", rule: "payer_declared", min: "500000", max: "5000000000"},
	{code: "XPVPHC-GT", agency: "KBNN-HN", kind: "fine", vi: "Nộp phạt vi phạm hành chính giao thông", en: "Traffic fine", rule: "payer_declared", min: "50000", max: "75000000"},
	{code: "THUE-TNDN", agency: "KBNN-HCM", kind: "tax", vi: "Thuế thu nhập doanh nghiệp (kèm tiền chậm nộp)", en: "Corporate income tax (with late-payment interest)", rule: "computed", computed: "tax_late_interest"},
	{code: "BHXH-BATBUOC", agency: "BHXH-VN", kind: "insurance", vi: "Đóng BHXH, BHYT, BHTN bắt buộc", en: "Compulsory social, health and unemployment insurance", rule: "computed", computed: "social_insurance"},
	{code: "BHYT-HGD", agency: "BHXH-VN", kind: "insurance", vi: "Gia hạn thẻ BHYT hộ gia đình", en: "Household health-insurance card renewal", rule: "computed", computed: "household_health_insurance"},
}

// Seeded is what the seed made that a human needs.
type Seeded struct {
	Portal  portals.Created
	Created bool
}

// IsEmpty says whether the catalogue has nothing in it yet.
func IsEmpty(ctx context.Context, db pg.Querier) (bool, error) {
	var n int
	err := db.QueryRow(ctx, `SELECT count(*) FROM agencies`).Scan(&n)
	return n == 0, err
}

// Seed loads the demo catalogue and creates a demo portal allowed to collect
// for every agency, with webhookURL as its endpoint. Run it on an empty
// database (IsEmpty); agencies and services are upserted, the portal is new.
func Seed(ctx context.Context, db pg.Querier, webhookURL string) (Seeded, error) {
	var codes []string
	for i, p := range provinces {
		bank := treasuryBanks[i%len(treasuryBanks)]
		code := "KBNN-" + p.abbr
		codes = append(codes, code)
		if err := upsertAgency(ctx, db, code, "Kho bạc Nhà nước "+p.name+" (demo)", p.code, bank.bin, bank.name,
			fmt.Sprintf("7111%s%06d", p.code, 1), accountName("Kho bac Nha nuoc "+p.name)); err != nil {
			return Seeded{}, err
		}
		// Receipts print the collecting agency's address and tax code; these are made up.
		if err := setReceiptDetails(ctx, db, code, "Số "+fmt.Sprint(i+1)+" đường Demo, "+p.name, fmt.Sprintf("01%02d%06d", i, 1)); err != nil {
			return Seeded{}, err
		}
	}
	if err := upsertAgency(ctx, db, "BHXH-VN", "Bảo hiểm xã hội Việt Nam (demo)", "", "970418", "BIDV", "12010000999999", "BAO HIEM XA HOI VIET NAM"); err != nil {
		return Seeded{}, err
	}
	if err := setReceiptDetails(ctx, db, "BHXH-VN", "Số 7 đường Demo, Hà Nội", "0199000001"); err != nil {
		return Seeded{}, err
	}
	codes = append(codes, "BHXH-VN")
	for _, s := range services {
		if _, err := db.Exec(ctx, `
			INSERT INTO services (code, agency_code, kind, name_vi, name_en, amount_rule, fixed_amount, min_amount, max_amount, computed_rule)
			VALUES ($1, $2, $3, $4, $5, $6, nullif($7, '')::numeric, nullif($8, '')::numeric, nullif($9, '')::numeric, nullif($10, ''))
			ON CONFLICT (code) DO NOTHING`,
			s.code, s.agency, s.kind, s.vi, s.en, s.rule, s.fixed, s.min, s.max, s.computed); err != nil {
			return Seeded{}, pg.Translate(err)
		}
	}
	created, err := portals.Create(ctx, db, "Cổng dịch vụ công demo", webhookURL, codes)
	if err != nil {
		return Seeded{}, err
	}
	if err := seedSIUnit(ctx, db, created.ID); err != nil {
		return Seeded{}, err
	}
	return Seeded{Portal: created, Created: true}, nil
}

// SIUnit is the demo portal's test-mode SI unit: the payroll of one
// employee above the social-insurance cap and one below it, in region I.
const SIUnit = "siu_demoUnit0000000000000001"

func seedSIUnit(ctx context.Context, db pg.Querier, portalID string) error {
	_, err := db.Exec(ctx, `
		WITH u AS (
		    INSERT INTO si_units (id, portal_id, livemode, code, name, tax_code, service_code, region, oa_rate, first_month)
		    VALUES ($1, $2, false, 'DE0001A', 'Công ty TNHH Demo', '0101234567', 'BHXH-BATBUOC', 1, 0.005, '2024-07-01') RETURNING id),
		d AS (
		    INSERT INTO si_declarations (id, unit_id, effective_from, employees)
		    SELECT 'sid_demoDecl0000000000000001', id, '2024-07-01', 2 FROM u RETURNING id)
		INSERT INTO si_employees (declaration_id, line, si_number, full_name, foreign_worker, salary, allowances, from_month)
		SELECT d.id, e.line, e.si, e.name, false, e.salary, 0, '2024-07-01'
		FROM d, (VALUES (2, '0100000001', 'Nguyễn Văn An', 100000000), (3, '0100000002', 'Trần Thị Bình', 6000000)) AS e(line, si, name, salary)`,
		SIUnit, portalID)
	return pg.Translate(err)
}

func upsertAgency(ctx context.Context, db pg.Querier, code, name, province, bin, bank, account, accountName string) error {
	var prov *string
	if province != "" {
		prov = &province
	}
	_, err := db.Exec(ctx, `
		INSERT INTO agencies (code, name, province_code, bank_bin, bank_name, account_number, account_name, demo)
		VALUES ($1, $2, $3, $4, $5, $6, $7, true) ON CONFLICT (code) DO NOTHING`,
		code, name, prov, bin, bank, account, accountName)
	return pg.Translate(err)
}

func setReceiptDetails(ctx context.Context, db pg.Querier, code, address, taxCode string) error {
	_, err := db.Exec(ctx, `UPDATE agencies SET address = $2, tax_code = $3 WHERE code = $1 AND address IS NULL`, code, address, taxCode)
	return pg.Translate(err)
}

// accountName is how banks print a beneficiary: upper case, no diacritics.
func accountName(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, _ := transform.String(t, s)
	out = strings.NewReplacer("đ", "d", "Đ", "D").Replace(out)
	return strings.ToUpper(out)
}
