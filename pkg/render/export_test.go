package render

// SetDocumentHook lets the external tests see every object Manifests
// writes with its document; nil removes the hook.
func SetDocumentHook(f func(obj any, doc []byte)) { documentHook = f }
