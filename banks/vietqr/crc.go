package vietqr

// CRC16 returns the CRC-16/CCITT-FALSE of s (poly 0x1021, init 0xFFFF, no
// reflection, no final XOR) as four upper-case hex digits, the form tag 63
// carries. Bitwise rather than table-driven: the payload is short and the
// wasm binary is not.
func CRC16(s string) string {
	crc := uint16(0xFFFF)
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	const hex = "0123456789ABCDEF"
	return string([]byte{hex[crc>>12], hex[crc>>8&0xF], hex[crc>>4&0xF], hex[crc&0xF]})
}
