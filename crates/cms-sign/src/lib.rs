//! CMS SignedData on key carriers (work in progress).
