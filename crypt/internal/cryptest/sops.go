package cryptest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// The sops CLI, pinned, made at test time through the Go module proxy as
// Go's own tests fetch vectors: it is not a dependency of the module, so
// secretcat's binary and go.sum stay as they are. It is built once into
// the user's cache directory and reused.
const (
	sopsModule  = "github.com/getsops/sops/v3"
	SopsVersion = "v3.13.3"
)

var (
	sopsOnce sync.Once
	sopsPath string
	sopsErr  error
)

// SopsCLI returns the path of the pinned sops binary, building it if need
// be (a few minutes the first time).
func SopsCLI(t testing.TB) string {
	t.Helper()
	sopsOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			sopsErr = err
			return
		}
		dir := filepath.Join(cache, "secretcat-test", "sops-"+SopsVersion)
		sopsPath = filepath.Join(dir, "sops")
		if _, err := os.Stat(sopsPath); err == nil {
			return
		}
		tmp, err := os.MkdirTemp(filepath.Dir(dir), "build-")
		if err != nil {
			if err = os.MkdirAll(filepath.Dir(dir), 0o755); err == nil {
				tmp, err = os.MkdirTemp(filepath.Dir(dir), "build-")
			}
			if err != nil {
				sopsErr = err
				return
			}
		}
		defer os.RemoveAll(tmp)
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		cmd := exec.Command(goTool, "install", sopsModule+"/cmd/sops@"+SopsVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOTOOLCHAIN=local", "GOFLAGS=", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			sopsErr = fmt.Errorf("go install %s/cmd/sops@%s: %v\n%s", sopsModule, SopsVersion, err, out)
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			sopsErr = err
			return
		}
		sopsErr = os.Rename(filepath.Join(tmp, "sops"), sopsPath)
	})
	if sopsErr != nil {
		t.Fatal(sopsErr)
	}
	return sopsPath
}
