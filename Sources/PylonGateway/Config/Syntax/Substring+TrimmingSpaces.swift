extension Substring {
    /// Without leading and trailing spaces, as rate values like `10/s` or `200 / 30s` allow.
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
