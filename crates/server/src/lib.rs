//! The node: listener, protocol sniffing, sessions, jobs, auth, HTTP.
