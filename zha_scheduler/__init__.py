"""High-availability placement and recovery for KVM guests on IBM Z."""
