package demoportal

import "testing"

func TestFormatVND(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"8000": "8.000 ₫", "135000": "135.000 ₫", "1250000": "1.250.000 ₫", "500": "500 ₫"} {
		if got := formatVND(&in); got != want {
			t.Fatalf("formatVND(%s) = %q, want %q", in, got, want)
		}
	}
}
