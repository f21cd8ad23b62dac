package sops

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// parseYAML reads a YAML stream as SOPS does: every document a mapping,
// comments kept in place as entries or elements.
func parseYAML(data []byte) ([]*node, error) {
	if len(data) > 0 { // SOPS first checks that the stream decodes to mappings
		if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(make(map[string]any)); err != nil {
			return nil, malformed("invalid YAML: %v", err)
		}
	}
	var branches []*node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return branches, nil
		}
		if err != nil {
			return nil, malformed("invalid YAML: %v", err)
		}
		b := &node{kind: kindMap}
		if err := yamlBranch(&doc, b, false); err != nil {
			return nil, err
		}
		branches = append(branches, b)
	}
}

// yamlComments adds the lines of a YAML comment to a mapping or sequence,
// without their "#".
func yamlComments(to *node, comment string, inline bool) {
	for line := range strings.SplitSeq(comment, "\n") {
		if line == "" {
			continue
		}
		c := &node{kind: kindComment, text: []byte(line[1:]), inline: inline}
		if to.kind == kindMap {
			to.entries = append(to.entries, entry{val: c})
		} else {
			to.elems = append(to.elems, c)
		}
	}
}

// yamlBranch adds the entries of a document or mapping node to b. handled
// says that the node's own comments were taken by its parent.
func yamlBranch(n *yaml.Node, b *node, handled bool) error {
	if !handled {
		yamlComments(b, n.HeadComment, false)
		yamlComments(b, n.LineComment, false)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := yamlBranch(c, b, false); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		return malformed("YAML documents that are sequences are not supported")
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			yamlComments(b, k.HeadComment, false)
			yamlComments(b, k.LineComment, false)
			scalar := v.Kind == yaml.ScalarNode || v.Kind == yaml.AliasNode
			if scalar {
				yamlComments(b, v.HeadComment, false)
				yamlComments(b, v.LineComment, true)
			}
			key, err := yamlKey(k)
			if err != nil {
				return err
			}
			val, err := yamlValue(v, scalar)
			if err != nil {
				return err
			}
			b.entries = append(b.entries, entry{key: key, val: val})
			if scalar {
				yamlComments(b, v.FootComment, false)
			}
			yamlComments(b, k.FootComment, false)
		}
	case yaml.ScalarNode:
		if n.ShortTag() != "!!null" {
			return malformed("YAML documents that are values are not supported")
		}
		return nil
	case yaml.AliasNode:
		if err := yamlBranch(n.Alias, b, false); err != nil {
			return err
		}
	}
	if !handled {
		yamlComments(b, n.FootComment, false)
	}
	return nil
}

// yamlKey is the key of a mapping entry: SOPS supports string keys only.
func yamlKey(k *yaml.Node) (string, error) {
	var v any
	if err := k.Decode(&v); err != nil {
		return "", malformed("invalid YAML key: %v", err)
	}
	s, ok := v.(string)
	if !ok {
		return "", malformed("YAML key %q is not a string: SOPS supports string keys only", k.Value)
	}
	return s, nil
}

// yamlValue converts a value node. handled says that its comments were
// taken by the mapping it is in.
func yamlValue(n *yaml.Node, handled bool) (*node, error) {
	switch n.Kind {
	case yaml.SequenceNode:
		s := &node{kind: kindSeq}
		if !handled {
			yamlComments(s, n.HeadComment, false)
			yamlComments(s, n.LineComment, false)
		}
		for _, item := range n.Content {
			yamlComments(s, item.HeadComment, false)
			yamlComments(s, item.LineComment, true)
			v, err := yamlValue(item, true)
			if err != nil {
				return nil, err
			}
			s.elems = append(s.elems, v)
			yamlComments(s, item.FootComment, false)
		}
		if !handled {
			yamlComments(s, n.FootComment, false)
		}
		return s, nil
	case yaml.MappingNode:
		m := &node{kind: kindMap}
		return m, yamlBranch(n, m, handled)
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, malformed("invalid YAML value: %v", err)
		}
		return goValue(v)
	case yaml.AliasNode:
		return yamlValue(n.Alias, false)
	}
	return &node{kind: kindNull}, nil
}
