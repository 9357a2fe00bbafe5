//! Typed extractors: a handler takes its query string or JSON body already parsed into the
//! domain type it needs. The raw forms are read by actix's own `Query` and `Json` extractors, so
//! a malformed query string or body still fails through the handlers set in `app::configure`; the
//! domain parsing then fails through [`ApiError`], as problem+json, like any other error.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::FutureExt;
use futures_util::future::{LocalBoxFuture, Ready, ready};
use serde_json::Value;
use std::marker::PhantomData;

/// The pairs of a query string, in order, repeated keys kept.
pub type Pairs = Vec<(String, String)>;

/// A type parsed from the pairs of a query string.
pub trait FromQuery: Sized {
    fn from_pairs(pairs: Pairs) -> Result<Self, ApiError>;
}

/// A type parsed from a JSON body.
pub trait FromBody: Sized {
    fn from_json(body: Value) -> Result<Self, ApiError>;

    /// As `from_json`, for a body that may depend on the request's headers (its media type).
    fn from_request_json(_req: &HttpRequest, body: Value) -> Result<Self, ApiError> {
        Self::from_json(body)
    }
}

/// Extracts `T` from the query string.
pub struct Params<T>(pub T);

/// Extracts `T` from the JSON body.
pub struct Body<T>(pub T);

impl<T: FromQuery> FromRequest for Params<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // actix reads a query string at once: its future is ready when made.
        let pairs = web::Query::<Pairs>::from_request(req, payload)
            .now_or_never()
            .unwrap_or_else(|| Ok(web::Query(Vec::new())));
        ready(pairs.and_then(|q| Ok(Params(T::from_pairs(q.into_inner())?))))
    }
}

impl<T: FromBody + 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Json::<Value>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let body = body.await?.into_inner();
            Ok(Body(T::from_request_json(&req, body)?))
        })
    }
}

/// The pairs themselves, for handlers that echo them (paging links).
impl FromQuery for Pairs {
    fn from_pairs(pairs: Pairs) -> Result<Self, ApiError> {
        Ok(pairs)
    }
}

/// A JSON body kept as it came, for parsers that must see it whole (JSON Merge Patch).
impl FromBody for Value {
    fn from_json(body: Value) -> Result<Self, ApiError> {
        Ok(body)
    }
}

/// Extracts the JSON body as [`Body`] does, but parses it into `T` only when the handler calls
/// [`Deferred::parse`], after its other extractors: for handlers that authenticate the caller.
/// actix polls a handler's extractors together and answers with the first error to come; a
/// token is looked up in the database while a small body is read at once, so a body parsed while
/// extracting would answer 422 to a caller who may not act at all (401, 403).
pub struct Deferred<T>(Value, PhantomData<T>);

impl<T: FromBody> Deferred<T> {
    /// The body parsed into `T` (its errors as [`FromBody`] gives them).
    pub fn parse(self) -> Result<T, ApiError> {
        T::from_json(self.0)
    }
}

impl<T: FromBody + 'static> FromRequest for Deferred<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move { Ok(Deferred(body.await?.into_inner(), PhantomData)) })
    }
}
