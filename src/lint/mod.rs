//! Dockerfile linting (the framework lands from the `lint` branch).

pub mod shell;
