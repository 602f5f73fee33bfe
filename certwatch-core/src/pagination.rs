//! Page requests and pages, shared by every list service.

use serde::Serialize;

use crate::validation::{ValidationErrors, Violation};

/// The largest page a caller may ask for.
pub const MAX_PAGE_SIZE: u32 = 500;
/// The page size when the caller names none.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// A validated page request: `page` counts from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    page_size: u32,
}

impl PageRequest {
    /// Validates a page number (from 1) and a size (1..=[`MAX_PAGE_SIZE`]).
    pub fn new(page: u32, page_size: u32) -> Result<Self, ValidationErrors> {
        let mut errs = ValidationErrors::default();
        if page == 0 {
            errs.push(Violation::new("page", "must be 1 or more"));
        }
        if page_size == 0 || page_size > MAX_PAGE_SIZE {
            errs.push(Violation::new("page_size", format!("must be between 1 and {MAX_PAGE_SIZE}")));
        }
        errs.into_result(Self { page, page_size })
    }
    /// Page number, from 1.
    pub fn page(&self) -> u32 {
        self.page
    }
    /// Rows per page.
    pub fn page_size(&self) -> u32 {
        self.page_size
    }
    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.page_size)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { page: 1, page_size: DEFAULT_PAGE_SIZE }
    }
}

/// One page of results plus the total number of matching rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows match in all pages.
    pub total: u64,
}
