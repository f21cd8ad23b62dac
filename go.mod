module github.com/secretcat/secretcat

go 1.26.8

require (
	c2sp.org/CCTV/age v0.0.0-20260829155415-4448f2097b2d
	filippo.io/age v1.3.2
	filippo.io/bigmod v0.1.0
	filippo.io/edwards25519 v1.2.0
	github.com/cpuguy83/go-md2man/v2 v2.0.6
	github.com/rogpeppe/go-internal v1.16.0
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.9
	go.yaml.in/yaml/v3 v3.0.4
	golang.org/x/crypto v0.55.0
	golang.org/x/sys v0.49.0
	golang.org/x/term v0.47.0
	gopkg.in/ini.v1 v1.67.3
)

require (
	filippo.io/hpke v0.4.0 // indirect
	filippo.io/nistec v0.0.4 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/russross/blackfriday/v2 v2.1.0 // indirect
	golang.org/x/tools v0.49.0 // indirect
)

// The runtime must not hold descriptors of its own from start-up: secretcat
// places secret files at the numbers a child expects, starting at 3, and the
// cgroup-aware GOMAXPROCS keeps two cgroup files open there for the life of the
// process. See internal/fdplace.Reserve.
godebug containermaxprocs=0

tool (
	filippo.io/age/cmd/age
	filippo.io/age/cmd/age-keygen
)
