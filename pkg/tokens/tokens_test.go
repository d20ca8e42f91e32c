package tokens

import "testing"

func TestParse(t *testing.T) {
	cases := []struct {
		in      string
		wantErr bool
		n       int
	}{
		{DevUSDT, false, 1},
		{DevUSDT + ", DAI:0x6B175474E89094C44Da98b954EedeAC495271d0F:18", false, 2},
		{"", true, 0},
		{"USDT:0x5FbDB2315678afecb367f032d93F642f64180aa3", true, 0},
		{"USDT:0xnothex:6", true, 0},
		{"USDT:0x5FbDB2315678afecb367f032d93F642f64180aa3:-1", true, 0},
		{DevUSDT + "," + DevUSDT, true, 0},
		{"ABCDEFGHIJKLMNOP:0x5FbDB2315678afecb367f032d93F642f64180aa3:6", false, 1}, // 16 characters
		{"ABCDEFGHIJKLMNOPQ:0x5FbDB2315678afecb367f032d93F642f64180aa3:6", true, 0},
		{"ÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜ:0x5FbDB2315678afecb367f032d93F642f64180aa3:6", false, 1}, // 16 characters, 32 bytes
	}
	for _, c := range cases {
		list, err := Parse(c.in)
		if (err != nil) != c.wantErr {
			t.Fatalf("Parse(%q) err = %v, want error %v", c.in, err, c.wantErr)
		}
		if len(list) != c.n {
			t.Fatalf("Parse(%q) = %d tokens, want %d", c.in, len(list), c.n)
		}
	}
	list, _ := Parse(DevUSDT)
	if tok, ok := list.BySymbol("usdt"); !ok || tok.Decimals != 6 {
		t.Fatalf("BySymbol(usdt) = %+v, %v", tok, ok)
	}
	if _, ok := list.ByAddress(list[0].Address); !ok {
		t.Fatal("ByAddress did not find the configured token")
	}
}
