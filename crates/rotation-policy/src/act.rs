//! The act of public key recognition (flow U13): the printable document the
//! client signs twice (the authorised employee and the head of the organisation), seals and
//! brings to the bank in two copies.

use core::fmt::Write as _;

use token_core::{GostKeySize, KeyAlgorithm, PublicKey, Result};

use crate::CivilDate;

/// What the act says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecognitionAct {
    /// The bank's name.
    pub bank: String,
    /// The key owner's full name (surname, given name, patronymic).
    pub owner: String,
    /// The owner's position, where known.
    pub position: Option<String>,
    /// The organisation's name.
    pub organisation: String,
    /// The organisation's INN (10 digits for a legal entity, 12 for an individual).
    pub inn: Option<String>,
    /// The organisation's OGRN (13 digits) or OGRNIP (15).
    pub ogrn: Option<String>,
    /// Key algorithm and parameter set.
    pub algorithm: KeyAlgorithm,
    /// The public key (the `subjectPublicKey` contents, as in the request).
    pub public_key: Vec<u8>,
    /// The certificate request's id at the bank.
    pub request_id: Option<String>,
    /// The date of the act.
    pub date: CivilDate,
    /// The certificate's validity, once known.
    pub valid_from: Option<CivilDate>,
    /// The certificate's end of validity, once known.
    pub valid_to: Option<CivilDate>,
}

impl RecognitionAct {
    /// Pre-fills the act from a certificate request: owner, position, organisation, INN,
    /// OGRN, algorithm and public key.
    pub fn from_request(
        bank: &str,
        request: &csr::CertificateRequest,
        request_id: Option<&str>,
        date: CivilDate,
    ) -> Result<Self> {
        let s = request.russian_subject();
        let key: PublicKey = request.public_key()?;
        let owner = match (&s.surname, &s.given_name) {
            (Some(sn), Some(gn)) => format!("{sn} {gn}"),
            _ => s.common_name.clone().unwrap_or_default(),
        };
        Ok(Self {
            bank: bank.to_owned(),
            owner,
            position: s.title.clone(),
            organisation: s.organization.clone().unwrap_or_default(),
            inn: s.inn_le.clone().or_else(|| s.inn.clone()),
            ogrn: s.ogrn.clone().or_else(|| s.ogrnip.clone()),
            algorithm: key.algorithm(),
            public_key: key.key_bytes().to_vec(),
            request_id: request_id.map(str::to_owned),
            date,
            valid_from: None,
            valid_to: None,
        })
    }

    /// The algorithm as printed: `ГОСТ Р 34.10-2012, 256 бит, набор параметров TC26-256-A
    /// (1.2.643.7.1.2.1.1.1)`.
    pub fn algorithm_text(&self) -> String {
        match self.algorithm {
            KeyAlgorithm::Gost(set) => {
                let bits = match set.key_size() {
                    GostKeySize::Bits256 => 256,
                    GostKeySize::Bits512 => 512,
                };
                format!(
                    "ГОСТ Р 34.10-2012, {bits} бит, набор параметров {} ({})",
                    set.name(),
                    set.oid()
                )
            }
            KeyAlgorithm::Rsa { bits } => format!("RSA, {bits} бит"),
            other => other.to_string(),
        }
    }

    /// The public key as lines of 16 upper-case hex byte pairs separated by spaces.
    pub fn public_key_lines(&self) -> Vec<String> {
        self.public_key
            .chunks(16)
            .map(|line| {
                let mut s = String::with_capacity(48);
                for (i, b) in line.iter().enumerate() {
                    if i > 0 {
                        s.push(' ');
                    }
                    let _ = write!(s, "{b:02X}");
                }
                s
            })
            .collect()
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        let or_blank = |v: &Option<String>| v.clone().unwrap_or_else(|| "________________".into());
        let mut f = vec![
            ("Организация", self.organisation.clone()),
            ("ИНН", or_blank(&self.inn)),
            ("ОГРН", or_blank(&self.ogrn)),
            ("Владелец ключа", self.owner.clone()),
        ];
        if let Some(p) = &self.position {
            f.push(("Должность", p.clone()));
        }
        f.push(("Алгоритм ключа", self.algorithm_text()));
        f.push(("Номер запроса", or_blank(&self.request_id)));
        let date = |d: Option<CivilDate>| d.map_or_else(|| "__.__.____".into(), |d| d.to_string());
        f.push((
            "Срок действия сертификата",
            format!("с {} по {}", date(self.valid_from), date(self.valid_to)),
        ));
        f
    }

    /// Plain text, one copy.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "АКТ ПРИЗНАНИЯ ОТКРЫТОГО КЛЮЧА");
        let _ = writeln!(s, "(ключа проверки электронной подписи)");
        let _ = writeln!(s);
        let _ = writeln!(s, "Банк: {}", self.bank);
        let _ = writeln!(s, "Дата: {}", self.date);
        let _ = writeln!(s);
        for (k, v) in self.fields() {
            let _ = writeln!(s, "{k}: {v}");
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "Открытый ключ (шестнадцатеричное представление):");
        for line in self.public_key_lines() {
            let _ = writeln!(s, "    {line}");
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Открытый ключ принадлежит указанному владельцу и признаётся организацией."
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Уполномоченный сотрудник  ____________________ / {} /",
            self.owner
        );
        let _ = writeln!(
            s,
            "Руководитель организации  ____________________ / ____________________ /"
        );
        let _ = writeln!(s);
        let _ = writeln!(s, "М.П.");
        s
    }

    /// Printable HTML: A4, two copies on separate pages.
    pub fn to_html(&self) -> String {
        let mut copy = String::new();
        let _ = write!(
            copy,
            "<section class=\"copy\"><h1>АКТ ПРИЗНАНИЯ ОТКРЫТОГО КЛЮЧА</h1>\
             <p class=\"sub\">(ключа проверки электронной подписи)</p>\
             <p>Банк: {}<br>Дата: {}</p><table>",
            esc(&self.bank),
            self.date
        );
        for (k, v) in self.fields() {
            let _ = write!(copy, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
        }
        copy.push_str("</table><p>Открытый ключ (шестнадцатеричное представление):</p><pre>");
        for line in self.public_key_lines() {
            copy.push_str(&line);
            copy.push('\n');
        }
        let _ = write!(
            copy,
            "</pre><p>Открытый ключ принадлежит указанному владельцу и признаётся организацией.</p>\
             <table class=\"sign\"><tr><td>Уполномоченный сотрудник</td><td class=\"line\"></td><td>/ {} /</td></tr>\
             <tr><td>Руководитель организации</td><td class=\"line\"></td><td>/ ____________________ /</td></tr></table>\
             <div class=\"seal\">М.П.</div></section>",
            esc(&self.owner)
        );
        format!(
            "<!DOCTYPE html><html lang=\"ru\"><head><meta charset=\"utf-8\">\
             <title>Акт признания открытого ключа</title><style>\
             @page {{ size: A4; margin: 20mm; }}\
             body {{ font-family: serif; font-size: 11pt; }}\
             h1 {{ font-size: 14pt; text-align: center; margin-bottom: 0; }}\
             .sub {{ text-align: center; margin-top: 2pt; }}\
             .copy {{ page-break-after: always; break-after: page; }}\
             .copy:last-child {{ page-break-after: auto; break-after: auto; }}\
             table {{ border-collapse: collapse; width: 100%; }}\
             th {{ text-align: left; width: 35%; vertical-align: top; padding: 2pt 4pt; }}\
             td {{ padding: 2pt 4pt; }}\
             pre {{ font-family: monospace; font-size: 10pt; }}\
             .sign td.line {{ border-bottom: 1px solid #000; width: 40%; }}\
             .sign td {{ padding-top: 18pt; }}\
             .seal {{ margin-top: 24pt; width: 40mm; height: 40mm; border: 1px dashed #888; \
             border-radius: 50%; text-align: center; line-height: 40mm; }}\
             </style></head><body>{copy}{copy}</body></html>"
        )
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
