"""`make reliability`: harnesses that probe the promises of issue 13 and print one line of figures each."""
