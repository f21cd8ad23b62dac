package testenv

import "testing"

func TestCI(t *testing.T) {
	for v, want := range map[string]bool{
		"": false, "true": true, "1": true, "TRUE": true, "woodpecker": true,
		"false": false, "0": false,
	} {
		t.Setenv("CI", v)
		if got := CI(); got != want {
			t.Errorf("CI=%q: CI() = %v, want %v", v, got, want)
		}
	}
}

// A tool that is there is found, whatever CI says.
func TestTool(t *testing.T) {
	t.Setenv("CI", "true")
	if Tool(t, "sh") == "" {
		t.Error("no path for sh")
	}
}
