//! Fault injection (`--demo-faults`): the read side, the write side and parity with AWS errors.

mod rig;

mod faults;
mod faults_parity;
mod faults_writes;
