// Package diff compares deployment bundles: two targets of one model, a
// target and a directory, or two directories. It is what 'synctl diff' and
// 'synctl render --check' print.
//
// The comparison is semantic, on parsed YAML rather than on lines. Resources
// are matched by identity, never by file: Kubernetes objects by
// group/kind/namespace/name (an object found under another namespace but
// the same group/kind/name is reported as changed, with its namespace among
// the changed fields); compose services, networks, volumes, configs and
// secrets by name; other YAML documents, and all other files, by path.
// Inside a changed resource every differing field is listed with its path.
// Lists of maps are matched by a natural key (containers, env, volumes,
// listeners by name; ports by containerPort or port; HTTPRoute rules by
// what they match; keyless items by their whole value) rather than by
// index; lists of scalars compare as multisets except command, args and
// entrypoint, whose order matters. Text files get a unified diff. Key
// material (PEM files) is compared by presence only.
//
// # JSON schema (synctl diff --format json)
//
//	{
//	  "from":    string,    // label of the old side: target name or directory
//	  "to":      string,    // label of the new side
//	  "equal":   bool,      // true when nothing differs (exit status 0)
//	  "summary": [string],  // sentences, most meaningful first
//	  "wiring": [{          // every URL of either side, in wiring order
//	    "name":    string,  // the wiring's URL names: the entry URL's, then each link's env var
//	    "from":    string|null,  // null when unknown (CHAT_URL of a directory)
//	    "to":      string|null,
//	    "changed": bool     // both known and different
//	  }],
//	  "changes": [{         // in report order: removed, added, changed, files, keys
//	    "change":    "added"|"removed"|"changed",
//	    "type":      "kubernetes"|"compose"|"yaml"|"file"|"key",
//	    "group":     string,  // kubernetes only ("" for the core group: omitted)
//	    "kind":      string,  // kubernetes kind, or compose service|network|volume|config|secret|project
//	    "namespace": string,  // kubernetes only, omitted when none
//	    "name":      string,  // object name, or file path for yaml/file/key
//	    "id":        string,  // the identity as the text report prints it
//	    "fromPath":  string,  // file in the old side (omitted when added)
//	    "toPath":    string,  // file in the new side (omitted when removed)
//	    "fields": [{          // changed structured resources only
//	      "path":   string,   // e.g. spec.template.spec.containers[name=web].env[name=APP_API].value
//	      "change": "added"|"removed"|"changed",
//	      "from":   any,      // absent when added
//	      "to":     any       // absent when removed
//	    }],
//	    "unified": string,    // changed text files only: unified diff
//	    "note":    string     // e.g. "binary files differ"
//	  }]
//	}
//
// # JSON schema (synctl render --check --format json)
//
//	{
//	  "dir":   string,
//	  "equal": bool,
//	  "problems": [{
//	    "path":    string,   // relative to dir
//	    "problem": "missing"|"changed"|"mode"|"stale",
//	    "detail":  string,   // what to do about it
//	    "unified": string    // changed text files: edit from rendered to on-disk
//	  }]
//	}
package diff
