import NIOHTTP1

extension HeaderRules {
    /// Applies the rules in a fixed order: remove, then set (replacing every value),
    /// then add (appending), so `set` and `remove` of one name never fight.
    func apply(to headers: inout HTTPHeaders) {
        for name in self.remove {
            headers.remove(name: name)
        }
        for field in self.set {
            headers.replaceOrAdd(name: field.name, value: field.value)
        }
        for field in self.add {
            headers.add(name: field.name, value: field.value)
        }
    }
}
