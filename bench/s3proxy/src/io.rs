//! A client connection the request handler can order reset (TCP RST) instead of closed.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Shared between a connection's socket and the handler of its requests.
#[derive(Default)]
pub(crate) struct ConnControl {
    reset_on_close: AtomicBool,
}

impl ConnControl {
    /// When the connection closes, send RST instead of FIN.
    pub fn reset_on_close(&self) {
        self.reset_on_close.store(true, Ordering::SeqCst);
    }
}

pub(crate) struct ControlledStream {
    inner: TcpStream,
    control: Arc<ConnControl>,
}

impl ControlledStream {
    pub fn new(inner: TcpStream, control: Arc<ConnControl>) -> Self {
        ControlledStream { inner, control }
    }
}

impl Drop for ControlledStream {
    fn drop(&mut self) {
        if self.control.reset_on_close.load(Ordering::SeqCst) {
            // SO_LINGER with a zero timeout: close() discards unsent data and sends RST.
            let _ = socket2::SockRef::from(&self.inner).set_linger(Some(Duration::ZERO));
        }
    }
}

impl AsyncRead for ControlledStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ControlledStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.control.reset_on_close.load(Ordering::SeqCst) {
            // No FIN before the RST: the peer must see a reset, not an early end of stream.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
