//! E-mailing invitation and reset links, when an SMTP server is configured
//! (`ARCHIPEL_SMTP_URL`, `ARCHIPEL_SMTP_FROM`); without one, the links are only printed by the
//! command line and shown to the administrator who asked.

use archipel_store::user::LinkPurpose;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{Message, SmtpTransport, Transport};
use std::time::Duration;

/// Where and as whom mail is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// `smtps://user:password@host:465` (TLS), `smtp://user:password@host:587?tls=required`
    /// (STARTTLS), or `smtp://localhost:25` for a local relay without TLS.
    pub url: String,
    /// The sender, e.g. `Archipel <archipel@mairie.example>`.
    pub from: String,
}

/// An SMTP client ready to send.
#[derive(Clone)]
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    /// Checks the settings (the server is not contacted yet).
    pub fn new(settings: &SmtpSettings) -> Result<Self, String> {
        let transport = SmtpTransport::from_url(&settings.url)
            .map_err(|e| format!("ARCHIPEL_SMTP_URL is not a usable SMTP URL: {e}"))?
            .timeout(Some(Duration::from_secs(10)))
            .build();
        let from = settings
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("ARCHIPEL_SMTP_FROM is not an address: {e}"))?;
        Ok(Self { transport, from })
    }

    /// Sends `url` to `name <email>`, in French and English (blocking: call it off the async
    /// threads).
    pub fn send_link(
        &self,
        email: &str,
        name: &str,
        purpose: LinkPurpose,
        url: &str,
    ) -> Result<(), String> {
        let to = Mailbox::new(
            Some(name.to_string()),
            email.parse().map_err(|e| format!("{email}: {e}"))?,
        );
        let (subject, fr, en) = match purpose {
            LinkPurpose::Invitation => (
                "Votre compte Archipel / Your Archipel account",
                "Un compte a été créé pour vous dans l'espace de travail d'Archipel. Choisissez votre mot de passe en ouvrant ce lien (valable 7 jours, une seule fois) :",
                "An account was created for you in Archipel's workspace. Choose your password by opening this link (valid for 7 days, once):",
            ),
            LinkPurpose::Reset => (
                "Nouveau mot de passe Archipel / New Archipel password",
                "Pour choisir un nouveau mot de passe, ouvrez ce lien (valable 1 jour, une seule fois) :",
                "To choose a new password, open this link (valid for 1 day, once):",
            ),
        };
        let body = format!(
            "Bonjour {name},\n\n{fr}\n{url}\n\nSi vous n'attendiez pas ce message, ignorez-le.\n\n\
             ---\n\nHello {name},\n\n{en}\n{url}\n\nIf you did not expect this message, ignore it.\n"
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        self.transport
            .send(&message)
            .map(drop)
            .map_err(|e| format!("the SMTP server refused or could not be reached: {e}"))
    }
}
