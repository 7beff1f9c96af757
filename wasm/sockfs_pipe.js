// Emscripten JS library (--js-library): turns an unconnected SOCKFS socket into the pipe libssh reads
// and writes (design.md §7). libssh only ever calls poll/recv/send/close on its fd; each op below
// forwards to the C++ BytePipe whose address the socket carries. No copy of the queue lives in JS.
mergeInto(LibraryManager.library, {
  sshrelay_pipe_attach__deps: ['$SOCKFS', '$FS'],
  sshrelay_pipe_attach: function(fd, pipe) {
    var sock = SOCKFS.getSocket(fd);
    if (!sock) return -1;
    var EAGAIN = {{{ cDefine('EAGAIN') }}};
    var EPIPE = {{{ cDefine('EPIPE') }}};
    var ENOTSUP = {{{ cDefine('EOPNOTSUPP') }}};
    var unsupported = function() { throw new FS.ErrnoError(ENOTSUP); };
    sock.sshrelayPipe = pipe;
    sock.sock_ops = {
      poll: function(sock) {
        return sock.sshrelayPipe ? Module['_sshrelay_pipe_poll'](sock.sshrelayPipe) : {{{ cDefine('POLLHUP') }}};
      },
      ioctl: function(sock, request, arg) {
        return 0;
      },
      close: function(sock) {
        if (sock.sshrelayPipe) Module['_sshrelay_pipe_closed'](sock.sshrelayPipe);
        sock.sshrelayPipe = 0;
        return 0;
      },
      recvmsg: function(sock, length) {
        if (!sock.sshrelayPipe) return null;
        var n = Module['_sshrelay_pipe_recv'](sock.sshrelayPipe, length);
        if (n === 0) return null;  // EOF: recv() returns 0
        if (n < 0) throw new FS.ErrnoError(EAGAIN);
        var ptr = Module['_sshrelay_pipe_recv_data'](sock.sshrelayPipe);
        // The caller copies this view into libssh's buffer before any C++ code runs again.
        return { buffer: HEAPU8.subarray(ptr, ptr + n), addr: '127.0.0.1', port: 0 };
      },
      sendmsg: function(sock, buffer, offset, length, addr, port) {
        if (!sock.sshrelayPipe) throw new FS.ErrnoError(EPIPE);
        var n;
        if (buffer.buffer === HEAPU8.buffer) {
          // send() passes the wasm heap itself: hand C++ the address, no copy.
          n = Module['_sshrelay_pipe_send'](sock.sshrelayPipe, buffer.byteOffset + offset, length);
        } else {
          var ptr = Module['_malloc'](length);
          HEAPU8.set(buffer.subarray(offset, offset + length), ptr);
          n = Module['_sshrelay_pipe_send'](sock.sshrelayPipe, ptr, length);
          Module['_free'](ptr);
        }
        if (n < 0) throw new FS.ErrnoError(EPIPE);
        return n;
      },
      bind: unsupported,
      connect: unsupported,
      listen: unsupported,
      accept: unsupported,
      getname: function(sock, peer) {
        return { addr: '127.0.0.1', port: 0 };
      },
    };
    return 0;
  },
});
