"""A simulated IBM Z cloud: real Nova services in-process, fake virt driver."""
