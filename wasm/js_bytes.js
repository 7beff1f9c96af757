// Emscripten JS library (--js-library): byte arrays between JS and the wasm heap with one native copy.
// Embind's std::string binding copies a Uint8Array into the heap one byte at a time in a JS loop (plus a
// malloc/free per call), and `new Uint8Array(typed_memory_view)` goes through emval's generic
// constructor path under DYNAMIC_EXECUTION=0; at bulk rates each cost several percent of the main
// thread (docs/wasm.md, "Throughput"). bindings.cpp uses these instead.
mergeInto(LibraryManager.library, {
  // Byte length of a Uint8Array / ArrayBuffer / other ArrayBufferView; -1 for anything else (a string).
  sshrelay_bytes_length__deps: ['$Emval'],
  sshrelay_bytes_length: function(handle) {
    var v = Emval.toValue(handle);
    return (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) ? v.byteLength : -1;
  },
  // Copies the bytes of `handle` (as measured by sshrelay_bytes_length) to `ptr`.
  sshrelay_bytes_copy__deps: ['$Emval'],
  sshrelay_bytes_copy: function(handle, ptr) {
    var v = Emval.toValue(handle);
    HEAPU8.set(v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength), ptr);
  },
  // A new Uint8Array holding a copy of `len` bytes at `ptr` (valid whatever the heap does next).
  sshrelay_bytes_new__deps: ['$Emval'],
  sshrelay_bytes_new: function(ptr, len) {
    return Emval.toHandle(HEAPU8.slice(ptr, ptr + len));
  },
  // A Uint8Array *view* of `len` bytes at `ptr`: no copy and no garbage, valid only until the next call
  // into the module (which may reuse the bytes or grow the heap). For data the caller copies at once
  // into buffers of its own (a download's 32 KiB chunks: one allocation each would be a gigabyte of
  // garbage per gigabyte downloaded).
  sshrelay_bytes_view__deps: ['$Emval'],
  sshrelay_bytes_view: function(ptr, len) {
    return Emval.toHandle(HEAPU8.subarray(ptr, ptr + len));
  },
});
