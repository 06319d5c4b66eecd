#pragma once
// A map kept as a sorted vector, for the handful of entries a task holds at a time (its timers,
// its iterations in flight): 24 bytes when empty where std::map takes 48, and one allocation for
// all entries rather than one each. Thousands of idle tasks each hold a few of these.
// Inserting or erasing invalidates iterators and references, as with a vector.
#include <algorithm>
#include <utility>
#include <vector>

namespace tasksrun {

template <typename Key, typename Value>
class FlatMap {
  public:
    using value_type = std::pair<Key, Value>;
    using iterator = typename std::vector<value_type>::iterator;
    using const_iterator = typename std::vector<value_type>::const_iterator;

    iterator begin() { return entries_.begin(); }
    iterator end() { return entries_.end(); }
    const_iterator begin() const { return entries_.begin(); }
    const_iterator end() const { return entries_.end(); }
    bool empty() const { return entries_.empty(); }
    std::size_t size() const { return entries_.size(); }
    void clear() {
        entries_.clear();
        entries_.shrink_to_fit();
    }

    iterator find(const Key& key) {
        const auto it = lower_bound(key);
        return it != entries_.end() && it->first == key ? it : entries_.end();
    }
    const_iterator find(const Key& key) const { return const_cast<FlatMap*>(this)->find(key); }
    // The value under `key`, default-constructed first if there is none.
    Value& operator[](const Key& key) {
        auto it = lower_bound(key);
        if (it == entries_.end() || it->first != key) it = entries_.emplace(it, key, Value{});
        return it->second;
    }
    iterator erase(iterator it) {
        it = entries_.erase(it);
        // A task goes back to holding nothing between iterations: give the memory back.
        if (!entries_.empty()) return it;
        entries_.shrink_to_fit();
        return entries_.end();
    }
    void erase(const Key& key) {
        if (const auto it = find(key); it != entries_.end()) erase(it);
    }

  private:
    iterator lower_bound(const Key& key) {
        return std::ranges::lower_bound(entries_, key, {}, &value_type::first);
    }

    std::vector<value_type> entries_;
};

}  // namespace tasksrun
