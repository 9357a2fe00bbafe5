//! A real SMTP server for the tests, on a local port: it speaks enough of RFC 5321 (greeting,
//! EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for a real client to deliver, and keeps what it
//! receives.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One message as received: the envelope's recipients and the raw content.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP sink");
        let port = listener.local_addr().expect("address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = Arc::clone(&kept);
                std::thread::spawn(move || {
                    let _ = serve(stream, &kept);
                });
            }
        });
        Self { port, received }
    }

    /// `smtp://127.0.0.1:<port>` (no TLS: the sink offers none).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("sink lock").clone()
    }
}

fn serve(stream: std::net::TcpStream, kept: &Mutex<Vec<Received>>) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 sink.test ESMTP\r\n")?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if command.starts_with("HELO")
            || command.starts_with("MAIL")
            || command.starts_with("NOOP")
        {
            b"250 OK\r\n"
        } else if command.starts_with("RSET") {
            to.clear();
            b"250 OK\r\n"
        } else if command.starts_with("RCPT") {
            to.push(
                line.trim_end()[8..]
                    .trim()
                    .trim_matches(['<', '>'])
                    .to_string(),
            );
            b"250 OK\r\n"
        } else if command == "DATA" {
            out.write_all(b"354 end with a dot\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line.trim_end() == "." {
                    break;
                }
                data.push_str(&line);
            }
            kept.lock().expect("sink lock").push(Received {
                to: std::mem::take(&mut to),
                data,
            });
            b"250 OK queued\r\n"
        } else if command == "QUIT" {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        out.write_all(reply)?;
    }
}
