import NIOHTTP1
import PylonProxy

extension HeaderRules {
    /// Applies the rules in a fixed order: remove, then set (replacing every value),
    /// then add (appending), so `set` and `remove` of one name never fight.
    func apply(to headers: inout HeaderFields) {
        for name in self.remove {
            headers.remove(name: name)
        }
        // A name set to several values has several fields here: clear every set name
        // first, then add them all, so the later values do not replace the earlier ones.
        for field in self.set {
            headers.remove(name: field.name)
        }
        for field in self.set {
            headers.add(name: field.name, value: field.value)
        }
        for field in self.add {
            headers.add(name: field.name, value: field.value)
        }
    }
}
