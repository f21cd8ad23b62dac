package sops

import (
	"fmt"

	"filippo.io/age"
)

// Document is a parsed SOPS document, still encrypted.
type Document struct {
	format   Format
	branches []*node
	meta     *metadata
}

// MaxDocument bounds a SOPS document: it is read whole, and its values
// are held in memory.
const MaxDocument = 16 << 20

// ParseNamed reads the SOPS document called name (a path, or "standard
// input") in the format SOPS reads it in: by the name's extension
// (FormatForPath), or, when the name says nothing, by its content, as Parse
// tells it. Nothing is decrypted.
func ParseNamed(name string, data []byte) (*Document, error) {
	format, named := FormatForPath(name)
	if !named {
		format = 0
	}
	return Parse(data, format)
}

// Parse reads a SOPS document in format and its metadata; format 0 is the
// format its content is in: what Detect finds, and for a JSON object of
// the members "data" and "sops" only, the binary form. The document is
// parsed once. Nothing is decrypted.
func Parse(data []byte, format Format) (*Document, error) {
	if len(data) > MaxDocument {
		return nil, malformed("a SOPS document of %d bytes is too large (the limit is %d MiB)", len(data), MaxDocument>>20)
	}
	byContent := format == 0
	if byContent {
		format = Detect(data)
	}
	doc := &Document{format: format}
	var meta *node
	var err error
	switch format {
	case YAML:
		if doc.branches, err = parseYAML(data); err != nil {
			return nil, err
		}
		meta, err = takeMetadata(doc.branches)
	case JSON, Binary:
		var b *node
		if b, err = parseJSON(data); err != nil {
			return nil, err
		}
		if byContent && jsonBinary(b, data) {
			doc.format = Binary
		}
		doc.branches = []*node{b}
		meta, err = takeMetadata(doc.branches)
	case Dotenv:
		var b *node
		if b, err = parseDotenv(data); err != nil {
			return nil, err
		}
		doc.branches = []*node{b}
		meta, err = takeFlatMetadata(b, sopsPrefix)
	case INI:
		var b *node
		if b, err = parseINI(data); err != nil {
			return nil, err
		}
		doc.branches = []*node{b}
		if meta, err = takeMetadata(doc.branches); err == nil {
			meta, err = iniMetadata(meta)
		}
	default:
		return nil, malformed("the SOPS %s format is not supported", format)
	}
	if err != nil {
		return nil, err
	}
	if doc.meta, err = parseMetadata(meta); err != nil {
		return nil, err
	}
	return doc, nil
}

// takeMetadata removes the "sops" entries of every branch and returns that
// of the first, as SOPS does.
func takeMetadata(branches []*node) (*node, error) {
	var meta *node
	for i, b := range branches {
		kept := b.entries[:0]
		for _, e := range b.entries {
			if !e.isComment() && e.key == "sops" {
				if i == 0 {
					if meta != nil {
						return nil, malformed("found a duplicate sops entry")
					}
					if e.val.kind != kindMap {
						return nil, malformed("found a sops entry that is not a mapping")
					}
					meta = e.val
				}
				continue
			}
			kept = append(kept, e)
		}
		b.entries = kept
	}
	if meta == nil {
		return nil, malformed("sops metadata not found")
	}
	return meta, nil
}

// Options are how a document is decrypted.
type Options struct {
	// Identities unwrap the data key from the age master keys.
	Identities []age.Identity
	// Scratch returns memory of size bytes for the decrypted values, and a
	// function that wipes and releases it; nil means ordinary memory.
	Scratch func(size int64) ([]byte, func(), error)
	// Extract, if set, is a path in the syntax of sops decrypt --extract:
	// only the value there is written, as sops decrypt --extract writes it.
	Extract string
}

// Plan is a document whose values are decrypted and authenticated, in
// scratch memory, and whose plaintext size is known.
type Plan struct {
	doc     *Document
	d       *decryptor
	release func()
	emit    func(out *sink) error
	size    int64
}

// Prepare unwraps the data key, decrypts every value into scratch memory,
// checks the MAC, and sizes the plaintext document. The values are
// decrypted in place: a document is prepared once.
func (doc *Document) Prepare(o Options) (*Plan, error) {
	var path []pathStep
	if o.Extract != "" {
		var err error
		if path, err = parseExtract(o.Extract); err != nil {
			return nil, err
		}
	}
	key, err := doc.meta.dataKey(o.Identities)
	if err != nil {
		return nil, err
	}
	size := plaintextBound(doc.branches)
	var secret []byte
	release := func() { clear(secret) }
	if o.Scratch != nil {
		if secret, release, err = o.Scratch(int64(size)); err != nil {
			clear(key)
			return nil, err
		}
	} else {
		secret = make([]byte, size)
	}
	d, err := newDecryptor(doc.meta, key, secret)
	clear(key)
	if err != nil {
		release()
		return nil, err
	}
	p := &Plan{doc: doc, d: d, release: release}
	if err := p.prepare(path, o.Extract != ""); err != nil {
		p.Discard()
		return nil, err
	}
	return p, nil
}

func (p *Plan) prepare(path []pathStep, extract bool) error {
	d := p.d
	err := d.decryptBranches(p.doc.branches)
	if err == nil {
		err = d.checkMAC()
	}
	d.wipe()
	if err != nil {
		return err
	}
	if extract {
		p.emit, err = p.extractEmitter(path)
	} else {
		p.emit, err = p.documentEmitter()
	}
	if err != nil {
		return err
	}
	var count sink
	if err := p.emit(&count); err != nil {
		return err
	}
	p.size = int64(count.n)
	return nil
}

// documentEmitter returns how sops decrypt writes the whole document.
func (p *Plan) documentEmitter() (func(out *sink) error, error) {
	branches := p.doc.branches
	if p.doc.format == Binary {
		data, err := binaryData(branches[0])
		if err != nil {
			return nil, err
		}
		return func(out *sink) error { out.write(data); return nil }, nil
	}
	return p.mappingEmitter(branches[0], func() ([]*yNode, error) { return p.d.yamlNodes(branches) })
}

// mappingEmitter returns how the document's format writes the mapping m,
// the document or a part of it, as a whole document; a YAML document is
// made of the nodes that yaml returns.
func (p *Plan) mappingEmitter(m *node, yaml func() ([]*yNode, error)) (func(out *sink) error, error) {
	switch p.doc.format {
	case YAML:
		docs, err := yaml()
		if err != nil {
			return nil, err
		}
		return func(out *sink) error { emitYAML(out, docs); return nil }, nil
	case JSON:
		values := jsonValues{}
		if err := p.d.prepareJSON(m, values); err != nil {
			return nil, err
		}
		return func(out *sink) error { emitJSON(out, m, values); return nil }, nil
	case Dotenv:
		return func(out *sink) error { return emitDotenv(out, m) }, nil
	case INI:
		secs, err := iniSections(m)
		if err != nil {
			return nil, err
		}
		return func(out *sink) error { emitINI(out, secs); return nil }, nil
	}
	return nil, malformed("extract path: a mapping cannot be written in the %s format", p.doc.format)
}

// Size is the exact size of the plaintext document.
func (p *Plan) Size() int64 { return p.size }

// Decrypt writes the plaintext document into dst, which must be Size bytes,
// and wipes the scratch memory. On failure dst is wiped.
func (p *Plan) Decrypt(dst []byte) error {
	defer p.Discard()
	if int64(len(dst)) != p.size {
		return fmt.Errorf("destination has the wrong size")
	}
	out := sink{buf: dst}
	if err := p.emit(&out); err != nil || out.n != len(dst) {
		clear(dst)
		if err == nil {
			err = fmt.Errorf("sops: the document's size changed between its two passes")
		}
		return err
	}
	return nil
}

// Discard wipes and releases the scratch memory without writing.
func (p *Plan) Discard() {
	if p.release != nil {
		p.release()
		p.release = nil
	}
	p.emit = nil
	p.doc = nil
}
