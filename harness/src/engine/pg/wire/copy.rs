//! `COPY … TO STDOUT`, streamed: the data rows as they come, one at a time, so a result of any
//! size passes through in bounded memory (`data-diff` reads whole tables this way).

use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;

use super::{server_message, Session};
use crate::model::TxStatus;

/// What stopped a COPY: the server's error (SQLSTATE and message), or a lost connection.
pub type CopyError = String;

impl Session {
    /// Send `sql` (a `COPY … TO STDOUT`); Ok once the server starts sending rows.
    pub async fn copy_out_start(&mut self, sql: &str) -> Result<(), CopyError> {
        frontend::query(sql, &mut self.wbuf).map_err(|e| e.to_string())?;
        self.flush().await.map_err(|e| self.lost_copy(e))?;
        loop {
            match self.read_message().await.map_err(|e| self.lost_copy(e))? {
                Message::CopyOutResponse(_) => return Ok(()),
                Message::ErrorResponse(body) => return Err(self.copy_failed(body).await),
                Message::ReadyForQuery(body) => {
                    self.status = TxStatus::from_byte(body.status());
                    return Err("the statement is not a COPY TO STDOUT".into());
                }
                _ => {}
            }
        }
    }

    /// The next data row (one CopyData message, with its newline), or None after the last.
    pub async fn copy_out_next(&mut self) -> Result<Option<bytes::Bytes>, CopyError> {
        loop {
            match self.read_message().await.map_err(|e| self.lost_copy(e))? {
                Message::CopyData(body) => return Ok(Some(body.into_bytes())),
                Message::ErrorResponse(body) => return Err(self.copy_failed(body).await),
                Message::ReadyForQuery(body) => {
                    self.status = TxStatus::from_byte(body.status());
                    return Ok(None);
                }
                // CopyDone, CommandComplete, notices.
                _ => {}
            }
        }
    }

    /// The server's error, once it is ready again.
    async fn copy_failed(&mut self, body: postgres_protocol::message::backend::ErrorResponseBody) -> CopyError {
        let m = match server_message(body.fields()) {
            Ok(m) => format!("{} {}", m.code, m.message),
            Err(e) => e.to_string(),
        };
        match self.until_ready().await {
            Ok(()) => m,
            Err(lost) => format!("{m} ({lost})"),
        }
    }

    async fn until_ready(&mut self) -> Result<(), CopyError> {
        loop {
            if let Message::ReadyForQuery(body) = self.read_message().await.map_err(|e| self.lost_copy(e))? {
                self.status = TxStatus::from_byte(body.status());
                return Ok(());
            }
        }
    }

    fn lost_copy(&mut self, e: std::io::Error) -> CopyError {
        self.broken = true;
        format!("connection lost: {e}")
    }
}
