package banks

import "testing"

func TestPlainInt(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"0": true, "1700000030000": true, "4088878653": true,
		"": false, "-0": false, "-1": false, "+1": false, "01": false, "1e3": false, " 1": false, "1.0": false, "99999999999999999999": false} {
		if _, ok := PlainInt(s); ok != want {
			t.Errorf("PlainInt(%q) ok = %v, want %v", s, ok, want)
		}
	}
}
