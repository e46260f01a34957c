//! partition schemes
