#include "server/documents/markup_projection.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/documents/html_entities.h"
#include "server/documents/word_boundaries.h"

namespace glossa::server {
namespace {

// A link with its target range moved to character boundaries.
struct Link {
  int target_begin, target_end, source_begin, source_end;
};

bool Overlaps(const Link& link, int begin, int end) {
  return link.source_begin < end && link.source_end > begin;
}

class Projector {
 public:
  Projector(const SentenceMarkup& markup, absl::string_view source,
            absl::string_view text, std::vector<Link> links)
      : markup_(markup),
        source_size_(static_cast<int>(source.size())),
        text_(text),
        source_words_(WordBoundaries(source)),
        target_words_(WordBoundaries(text)),
        links_(std::move(links)),
        nodes_(markup.elements.size() + 1) {
    std::sort(links_.begin(), links_.end(), [](const Link& a, const Link& b) {
      return std::tie(a.source_begin, a.target_begin) <
             std::tie(b.source_begin, b.target_begin);
    });
    for (const Link& link : links_) {
      longest_source_ =
          std::max(longest_source_, link.source_end - link.source_begin);
    }
    nodes_[0].hi = static_cast<int>(text_.size());
    for (size_t i = 0; i < markup.elements.size(); ++i) {
      nodes_[markup.elements[i].parent + 1].children.push_back(i + 1);
    }
    for (size_t i = 0; i < markup.atoms.size(); ++i) {
      const InlineAtom& atom = markup.atoms[i];
      nodes_[atom.pin == InlineAtom::Pin::kNone ? atom.parent + 1 : 0]
          .atoms.push_back(i);
    }
  }

  std::string Run() {
    // Parents come before their children, so one pass places every node.
    for (size_t node = 0; node < nodes_.size(); ++node) Place(node);
    std::string out = markup_.prefix;
    Serialize(&out);
    out += markup_.suffix;
    return out;
  }

 private:
  // Node 0 is the sentence; node i + 1 is markup_.elements[i].
  struct Node {
    int lo = 0, hi = 0;  // target bytes; lo == hi for a point
    bool point = false;  // placed empty, at lo
    std::vector<size_t> children, atoms;
    std::vector<int> atom_positions;  // beside `atoms`
  };

  // What an element would cover: its tokens inside the parent's span.
  struct Candidate {
    size_t node;
    std::vector<const Link*> tokens;  // by target position
    int lo, hi;
  };

  const InlineElement& ElementOf(size_t node) const {
    return markup_.elements[node - 1];
  }

  void Place(size_t node) {
    Node& parent = nodes_[node];
    std::vector<Candidate> candidates;
    std::vector<size_t> points;
    for (size_t child : parent.children) {
      if (parent.point) {
        points.push_back(child);
        continue;
      }
      Candidate candidate{child, TokensOf(ElementOf(child), parent), 0, 0};
      if (candidate.tokens.empty()) {
        points.push_back(child);
        continue;
      }
      candidate.lo = candidate.tokens.front()->target_begin;
      candidate.hi = candidate.tokens.front()->target_end;
      for (const Link* token : candidate.tokens) {
        candidate.hi = std::max(candidate.hi, token->target_end);
      }
      candidates.push_back(std::move(candidate));
    }
    std::sort(candidates.begin(), candidates.end(),
              [](const Candidate& a, const Candidate& b) {
                return std::make_pair(a.hi - a.lo, a.node) <
                       std::make_pair(b.hi - b.lo, b.node);
              });
    std::map<int, int> placed;  // lo -> hi of the children placed so far
    for (const Candidate& candidate : candidates) {
      int lo = 0, hi = 0;
      if (BestFreeSpan(candidate, placed, &lo, &hi)) {
        placed[lo] = hi;
        nodes_[candidate.node].lo = lo;
        nodes_[candidate.node].hi = hi;
      } else {
        points.push_back(candidate.node);
      }
    }
    for (size_t child : points) {
      Node& point = nodes_[child];
      point.point = true;
      point.lo = point.hi =
          PointFor(ElementOf(child).source_begin, parent, placed);
    }
    for (size_t atom : parent.atoms) {
      const InlineAtom& markup = markup_.atoms[atom];
      int position = PointFor(markup.source_position, parent, placed);
      if (markup.pin == InlineAtom::Pin::kStart) position = 0;
      if (markup.pin == InlineAtom::Pin::kEnd) position = parent.hi;
      parent.atom_positions.push_back(position);
    }
  }

  // The links pointing into the element's source range whose target lies
  // within the parent's span, in target order.
  std::vector<const Link*> TokensOf(const InlineElement& element,
                                    const Node& parent) const {
    std::vector<const Link*> tokens;
    const int from = element.source_begin - longest_source_;
    auto it = std::lower_bound(
        links_.begin(), links_.end(), from,
        [](const Link& link, int value) { return link.source_begin < value; });
    for (; it != links_.end() && it->source_begin < element.source_end; ++it) {
      if (Overlaps(*it, element.source_begin, element.source_end) &&
          it->target_begin >= parent.lo && it->target_end <= parent.hi) {
        tokens.push_back(&*it);
      }
    }
    std::sort(tokens.begin(), tokens.end(), [](const Link* a, const Link* b) {
      return a->target_begin < b->target_begin;
    });
    return tokens;
  }

  // Of the stretches of the candidate's span not taken by a sibling, the
  // one holding most of its tokens (the first on a tie), shrunk to those
  // tokens. False when no stretch holds any.
  static bool BestFreeSpan(const Candidate& candidate,
                           const std::map<int, int>& placed, int* lo, int* hi) {
    int best = 0;
    const auto consider = [&](int begin, int end) {
      if (begin >= end) return;
      int count = 0, first = end, last = begin;
      for (const Link* token : candidate.tokens) {
        if (token->target_begin < begin || token->target_end > end) continue;
        ++count;
        first = std::min(first, token->target_begin);
        last = std::max(last, token->target_end);
      }
      if (count > best) best = count, *lo = first, *hi = last;
    };
    int cursor = candidate.lo;
    auto it = placed.upper_bound(candidate.lo);
    if (it != placed.begin()) cursor = std::max(cursor, std::prev(it)->second);
    for (; it != placed.end() && it->first < candidate.hi; ++it) {
      consider(cursor, it->first);
      cursor = std::max(cursor, it->second);
    }
    consider(cursor, candidate.hi);
    return best > 0;
  }

  // Where a point standing before `source_position` goes: inside the
  // parent, never inside a placed sibling (to the nearer end of one).
  int PointFor(int source_position, const Node& parent,
               const std::map<int, int>& placed) const {
    if (parent.point) return parent.lo;
    int q = std::clamp(InsertionPoint(source_position), parent.lo, parent.hi);
    auto it = placed.lower_bound(q);
    if (it != placed.begin()) {
      const auto& [lo, hi] = *std::prev(it);
      if (lo < q && q < hi) q = q - lo <= hi - q ? lo : hi;
    }
    return q;
  }

  // Before the first target token aligned to the nearest source token at
  // or after `source_position`; else after the last token before it.
  int InsertionPoint(int source_position) const {
    if (links_.empty()) return ScaledPosition(source_position);
    auto it = std::lower_bound(
        links_.begin(), links_.end(), source_position,
        [](const Link& link, int value) { return link.source_begin < value; });
    if (it != links_.end()) return it->target_begin;
    const int last_source = links_.back().source_begin;
    int q = 0;
    for (auto back = links_.rbegin();
         back != links_.rend() && back->source_begin == last_source; ++back) {
      q = std::max(q, back->target_end);
    }
    return q;
  }

  // No alignment: the same relative position, moved to the nearest word
  // start (or an end of the text).
  int ScaledPosition(int source_position) const {
    const int size = static_cast<int>(text_.size());
    if (source_size_ <= 0 || size == 0) return 0;
    const int q = static_cast<int>(static_cast<int64_t>(source_position) *
                                   size / source_size_);
    const auto word_start = [&](int k) {
      return k <= 0 || k >= size || text_[k - 1] == ' ';
    };
    int left = std::clamp(q, 0, size), right = left;
    while (!word_start(left)) --left;
    while (!word_start(right)) ++right;
    return q - left <= right - q ? left : right;
  }

  struct Item {
    int position;
    int rank;  // at one position: pinned start, points, spans, pinned end
    size_t order;
    bool atom;
    size_t index;  // node or atom
    bool operator<(const Item& other) const {
      return std::tie(position, rank, order, atom, index) <
             std::tie(other.position, other.rank, other.order, other.atom,
                      other.index);
    }
  };

  std::vector<Item> ItemsOf(size_t node) const {
    const Node& n = nodes_[node];
    std::vector<Item> items;
    for (size_t child : n.children) {
      const Node& c = nodes_[child];
      items.push_back(
          {c.lo, c.point ? 1 : 2, ElementOf(child).order, false, child});
    }
    for (size_t i = 0; i < n.atoms.size(); ++i) {
      const InlineAtom& atom = markup_.atoms[n.atoms[i]];
      const int rank = atom.pin == InlineAtom::Pin::kStart ? 0
                       : atom.pin == InlineAtom::Pin::kEnd ? 3
                                                           : 1;
      items.push_back(
          {n.atom_positions[i], rank, atom.order, true, n.atoms[i]});
    }
    std::sort(items.begin(), items.end());
    return items;
  }

  // A tag as it will be written, in document order. Moves tell where
  // snapping may take it: kLeft to the start of the word it is in (opening
  // tags, atoms, empty elements), kRight to the word's end (closing tags),
  // kStay nowhere (a tag that was inside a word in the source, such as
  // H<sub>2</sub>O, or one pinned to the sentence's edge).
  enum class Move { kStay, kLeft, kRight };
  struct Tag {
    int position;
    absl::string_view bytes;
    Move move;
    const InlineAtom* atom;  // for atoms, their spacing rules
  };

  // Whether a tag standing at source offset `source` may move to a word
  // boundary of the translation: only if it stood at one in the source.
  Move MoveFrom(int source, Move move) const {
    return std::binary_search(source_words_.begin(), source_words_.end(),
                              source)
               ? move
               : Move::kStay;
  }

  void AddElementTags(size_t node, bool open, std::vector<Tag>* tags) const {
    const Node& n = nodes_[node];
    const InlineElement& element = ElementOf(node);
    if (n.point) {  // open and close stay together, before the word
      tags->push_back({n.lo, open ? element.open_tag : element.close_tag,
                       MoveFrom(element.source_begin, Move::kLeft), nullptr});
    } else if (open) {
      tags->push_back({n.lo, element.open_tag,
                       MoveFrom(element.source_begin, Move::kLeft), nullptr});
    } else {
      tags->push_back({n.hi, element.close_tag,
                       MoveFrom(element.source_end, Move::kRight), nullptr});
    }
  }

  // Every tag in the order it is written: depth-first without recursion,
  // since inline markup can nest deeply.
  std::vector<Tag> Tags() const {
    struct Frame {
      size_t node;
      std::vector<Item> items;
      size_t next;
    };
    std::vector<Tag> tags;
    std::vector<Frame> stack;
    stack.push_back({0, ItemsOf(0), 0});
    while (!stack.empty()) {
      Frame& frame = stack.back();
      if (frame.next == frame.items.size()) {
        if (frame.node != 0) AddElementTags(frame.node, false, &tags);
        stack.pop_back();
        continue;
      }
      const Item item = frame.items[frame.next++];
      if (item.atom) {
        const InlineAtom& atom = markup_.atoms[item.index];
        tags.push_back({item.position, atom.bytes,
                        atom.pin == InlineAtom::Pin::kNone
                            ? MoveFrom(atom.source_position, Move::kLeft)
                            : Move::kStay,
                        &atom});
        continue;
      }
      AddElementTags(item.index, true, &tags);
      stack.push_back({item.index, ItemsOf(item.index), 0});
    }
    return tags;
  }

  // Moves each tag that stands inside a word of the translation to the
  // word's start (kLeft) or end (kRight), as far as the tags before and
  // after it allow: tags keep their order, so the element tree, and with
  // it well-formedness, stays the source's. Opening tags go forwards, each
  // stopping at the one before; closing tags go backwards, each stopping at
  // the one after. Two siblings sharing a word stop at each other.
  void Snap(std::vector<Tag>* tags) const {
    int previous = 0;
    for (Tag& tag : *tags) {
      tag.position = std::max(tag.position, previous);  // document order
      previous = tag.position;
    }
    std::vector<int> original(tags->size());
    for (size_t i = 0; i < tags->size(); ++i) {
      original[i] = (*tags)[i].position;
    }
    for (size_t i = 0; i < tags->size(); ++i) {
      Tag& tag = (*tags)[i];
      if (tag.move != Move::kLeft) continue;
      const int floor = i == 0 ? 0 : (*tags)[i - 1].position;
      auto it = std::upper_bound(target_words_.begin(), target_words_.end(),
                                 tag.position);
      const int start = it == target_words_.begin() ? 0 : *std::prev(it);
      tag.position = std::max(start, floor);
    }
    for (size_t i = tags->size(); i-- > 0;) {
      Tag& tag = (*tags)[i];
      if (tag.move != Move::kRight) continue;
      const int ceiling = i + 1 == tags->size() ? static_cast<int>(text_.size())
                                                : (*tags)[i + 1].position;
      auto it = std::lower_bound(target_words_.begin(), target_words_.end(),
                                 original[i]);
      const int end =
          it == target_words_.end() ? static_cast<int>(text_.size()) : *it;
      tag.position = std::min(end, ceiling);
    }
  }

  void AppendText(int begin, int end, std::string* out) const {
    if (end > begin) {
      *out += EscapeHtmlText(text_.substr(begin, end - begin));
    }
  }

  bool SpaceAt(int k) const {
    return k >= 0 && k < static_cast<int>(text_.size()) && text_[k] == ' ';
  }

  void Serialize(std::string* out) const {
    std::vector<Tag> tags = Tags();
    Snap(&tags);
    int cursor = 0;
    for (const Tag& tag : tags) {
      const InlineAtom* atom = tag.atom;
      const int q = tag.position;
      const bool take_space =
          atom != nullptr && atom->takes_space && q > cursor && SpaceAt(q - 1);
      AppendText(cursor, q - (take_space ? 1 : 0), out);
      cursor = std::max(cursor, q);
      const bool inside = q > 0 && q < static_cast<int>(text_.size());
      const bool spaced = atom != nullptr && atom->spaced && inside;
      // A word-like atom keeps a space on both sides: the sentence had one
      // space for the two around it, and it may land on either side of it.
      if (spaced && !SpaceAt(q - 1) && SpaceAt(q)) *out += ' ';
      absl::StrAppend(out, tag.bytes);
      if (spaced && SpaceAt(q - 1) && !SpaceAt(q)) *out += ' ';
    }
    AppendText(cursor, static_cast<int>(text_.size()), out);
  }

  const SentenceMarkup& markup_;
  const int source_size_;
  const absl::string_view text_;
  // Word boundaries (WordBoundaries) of the sentence and the translation.
  const std::vector<int> source_words_, target_words_;
  std::vector<Link> links_;  // by source position, then target position
  int longest_source_ = 0;
  std::vector<Node> nodes_;
};

// Moves `offset` back to the start of the UTF-8 character it is in.
int CharacterStart(absl::string_view text, int offset) {
  while (offset > 0 && offset < static_cast<int>(text.size()) &&
         (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) {
    --offset;
  }
  return offset;
}

}  // namespace

absl::StatusOr<std::string> ProjectMarkup(
    const SentenceMarkup& markup, absl::string_view source,
    const SentenceTranslation& translation) {
  const int source_size = static_cast<int>(source.size());
  const absl::string_view text = translation.text;
  if (markup.elements.empty() && markup.atoms.empty()) {
    return absl::StrCat(markup.prefix, EscapeHtmlText(text), markup.suffix);
  }
  const int size = static_cast<int>(text.size());
  std::vector<Link> links;
  links.reserve(translation.alignment.size());
  for (size_t i = 0; i < translation.alignment.size(); ++i) {
    const AlignmentLink& link = translation.alignment[i];
    if (link.target_begin < 0 || link.target_end < link.target_begin ||
        link.target_end > size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "alignment link ", i, " has target range [", link.target_begin, ", ",
          link.target_end, "), outside the translation's ", size, " bytes"));
    }
    if (link.source_begin < 0 || link.source_end < link.source_begin ||
        link.source_end > source_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("alignment link ", i, " has source range [",
                       link.source_begin, ", ", link.source_end,
                       "), outside the sentence's ", source_size, " bytes"));
    }
    const Link snapped{CharacterStart(text, link.target_begin),
                       CharacterStart(text, link.target_end), link.source_begin,
                       link.source_end};
    // A token with no text (an end-of-sentence token) marks no word.
    if (snapped.target_end > snapped.target_begin) links.push_back(snapped);
  }
  return Projector(markup, source, text, std::move(links)).Run();
}

}  // namespace glossa::server
