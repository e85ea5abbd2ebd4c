rule broken {
  strings: $a = { 4D 5A ?? [2-4] }
  condition: $b and #a > 2
}
