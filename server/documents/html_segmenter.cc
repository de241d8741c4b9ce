#include "server/documents/html_segmenter.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/utf8.h"
#include "server/documents/html_tokens.h"

namespace glossa::server {
namespace {

constexpr absl::string_view kInlineElements[] = {
    "a",      "abbr",   "b",    "bdi", "bdo",  "big", "cite",  "data",  "del",
    "dfn",    "em",     "font", "i",   "ins",  "kbd", "label", "mark",  "nobr",
    "q",      "rb",     "rp",   "rt",  "ruby", "s",   "samp",  "small", "span",
    "strike", "strong", "sub",  "sup", "time", "tt",  "u",     "var"};
constexpr absl::string_view kInlineVoidElements[] = {"br", "img", "wbr"};
// Kept whole, but inside a sentence: "Call <code>f()</code> first."
constexpr absl::string_view kInlineKeptElements[] = {"code", "script", "style",
                                                     "textarea"};

template <size_t N>
bool IsOneOf(absl::string_view name, const absl::string_view (&names)[N]) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

bool IsHtmlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

enum class Role { kText, kOpen, kClose, kAtom, kBoundary };

// A token of a block, with its place in the block's text.
struct Item {
  Role role = Role::kAtom;
  size_t begin = 0, end = 0;    // its bytes in the document
  size_t pos = 0, pos_end = 0;  // its text in the block's text; pos for tags
  bool atomic = false;  // text that cannot be cut: a reference, a <br>'s space
  std::string name;     // tags: the element name, lower case
  size_t order = 0;     // token index, for ties
  int element = -1;     // kOpen, kClose: its element
  int parent = -1;      // kAtom: the element open around it (resolved later)
  InlineAtom::Pin pin = InlineAtom::Pin::kNone;
  bool consumed = false;  // a tag that became part of a sentence's markup
  bool implied = false;   // kClose: not in the document (MatchElements)
};

// An inline element opened in a block.
struct Element {
  size_t open = 0, close = 0;  // its items
  size_t begin = 0, end = 0;   // what it covers of the block's text
  int parent = -1;             // the enclosing closed element
  bool closed = false;         // closed in this block
};

class HtmlSegmenter {
 public:
  HtmlSegmenter(absl::string_view html, SentenceSplitter& splitter,
                DocumentParts* parts)
      : html_(html), splitter_(splitter), parts_(*parts) {}

  absl::Status Run() {
    const std::vector<HtmlToken> tokens = TokenizeHtml(html_);
    for (size_t i = 0; i < tokens.size(); ++i) {
      const HtmlToken& token = tokens[i];
      Item item = MakeItem(Role::kAtom, token.begin, token.end, i);
      item.name = token.name;
      switch (token.kind) {
        case HtmlTokenKind::kText:
          AddText(std::move(item), Bytes(token.begin, token.end), false);
          continue;
        case HtmlTokenKind::kEntity:
          AddText(std::move(item), token.decoded, true);
          continue;
        case HtmlTokenKind::kOpenTag:
          if (IsOneOf(token.name, kInlineElements) && !token.self_closing) {
            item.role = Role::kOpen;
          } else if (!IsOneOf(token.name, kInlineElements) &&
                     !IsOneOf(token.name, kInlineVoidElements)) {
            item.role = Role::kBoundary;
          }
          break;
        case HtmlTokenKind::kCloseTag:
          item.role = IsOneOf(token.name, kInlineElements) ||
                              IsOneOf(token.name, kInlineVoidElements)
                          ? Role::kClose
                          : Role::kBoundary;
          break;
        case HtmlTokenKind::kVerbatim:
          if (!token.name.empty() &&
              !IsOneOf(token.name, kInlineKeptElements)) {
            item.role = Role::kBoundary;  // <pre>
          }
          break;
      }
      if (item.role == Role::kBoundary) {
        // An end tag ends the elements open inside its block (a browser
        // closes them there); an opening tag may nest the next block in
        // them, so they stay open.
        absl::Status status = FlushBlock(
            {token.kind == HtmlTokenKind::kCloseTag, token.begin, i});
        if (!status.ok()) return status;
        parts_.Keep(Bytes(token.begin, token.end));
        continue;
      }
      const bool line_break =
          token.kind == HtmlTokenKind::kOpenTag && token.name == "br";
      items_.push_back(std::move(item));
      if (line_break) {  // the space between the words on either side
        AddText(MakeItem(Role::kText, token.end, token.end, i), " ", true);
      }
    }
    return FlushBlock({true, html_.size(), tokens.size()});
  }

 private:
  Item MakeItem(Role role, size_t begin, size_t end, size_t order) const {
    Item item;
    item.role = role;
    item.begin = begin;
    item.end = end;
    item.pos = item.pos_end = text_.size();
    item.order = order;
    return item;
  }

  absl::string_view Bytes(size_t begin, size_t end) const {
    return html_.substr(begin, end - begin);
  }

  void AddText(Item item, absl::string_view decoded, bool atomic) {
    item.role = Role::kText;
    item.atomic = atomic;
    item.pos = text_.size();
    text_.append(decoded.data(), decoded.size());
    item.pos_end = text_.size();
    items_.push_back(std::move(item));
  }

  // Where a block ends: at byte `at`, token `order`; `closes` when that is
  // an end tag or the document's end, which close the elements still open.
  struct BlockEnd {
    bool closes;
    size_t at;
    size_t order;
  };

  absl::Status FlushBlock(const BlockEnd& end) {
    absl::Status status = SegmentBlock(end);
    items_.clear();
    elements_.clear();
    text_.clear();
    return status;
  }

  // Pairs opening and closing tags; a tag without its partner in the
  // block becomes an atom pinned to its sentence's start or end.
  void MatchElements(const BlockEnd& end) {
    std::vector<int> open;
    for (size_t i = 0; i < items_.size(); ++i) {
      Item& item = items_[i];
      if (item.role == Role::kOpen) {
        item.element = static_cast<int>(elements_.size());
        elements_.push_back(
            {i, 0, item.pos, 0, open.empty() ? -1 : open.back()});
        open.push_back(item.element);
      } else if (item.role == Role::kClose) {
        auto it = std::find_if(open.rbegin(), open.rend(), [&](int element) {
          return items_[elements_[element].open].name == item.name;
        });
        if (it == open.rend()) {
          item.role = Role::kAtom;
          item.pin = InlineAtom::Pin::kEnd;
          continue;
        }
        Element& element = elements_[*it];
        element.close = i;
        element.end = item.pos;
        element.closed = true;
        item.element = *it;
        open.erase(std::next(it).base(), open.end());
      } else if (item.role == Role::kAtom) {
        item.parent = open.empty() ? -1 : open.back();
      }
    }
    // Elements still open where the block ends at an end tag (or the
    // document's end) close there, innermost first, with closing tags not
    // in the document: "<p>Das Haus ist <b>klein.</p>" is <b>klein.</b> for
    // a browser, and so for the projection, instead of a <b> pinned to the
    // sentence's start (which would then wrap the whole translation).
    for (auto it = open.rbegin(); end.closes && it != open.rend(); ++it) {
      Element& element = elements_[*it];
      Item close = MakeItem(Role::kClose, end.at, end.at, end.order);
      close.name = items_[element.open].name;
      close.implied = true;
      close.element = *it;
      element.close = items_.size();
      element.end = close.pos;
      element.closed = true;
      items_.push_back(std::move(close));
    }
    // Parents come first, so each resolves through resolved ones.
    for (Element& element : elements_) {
      if (element.parent >= 0 && !elements_[element.parent].closed) {
        element.parent = elements_[element.parent].parent;
      }
      if (!element.closed) {
        Item& item = items_[element.open];
        item.role = Role::kAtom;
        item.pin = InlineAtom::Pin::kStart;
        item.element = -1;
      }
    }
    for (Item& item : items_) {
      if (item.role != Role::kAtom) continue;
      if (item.pin != InlineAtom::Pin::kNone) {
        item.parent = -1;
      } else if (item.parent >= 0 && !elements_[item.parent].closed) {
        item.parent = elements_[item.parent].parent;
      }
    }
  }

  absl::Status SegmentBlock(const BlockEnd& end) {
    if (items_.empty()) return absl::OkStatus();
    MatchElements(end);
    std::string icu_text = text_;
    for (char& c : icu_text) {
      if (IsHtmlSpace(c)) c = ' ';  // a line break in HTML is a space
    }
    ranges_ = base::IsBlank(text_) ? std::vector<TextRange>()
                                   : splitter_.Split(icu_text);
    Collapse();
    markup_.assign(ranges_.size(), SentenceMarkup());
    texts_.assign(ranges_.size(), std::string());
    DescribeSentences();
    return Emit();
  }

  // collapsed_[p]: where block text offset p lands once every run of HTML
  // white space is one space.
  void Collapse() {
    collapsed_text_.clear();
    collapsed_.assign(text_.size() + 1, 0);
    size_t i = 0;
    while (i < text_.size()) {
      collapsed_[i] = collapsed_text_.size();
      if (!IsHtmlSpace(text_[i])) {
        collapsed_text_.push_back(text_[i++]);
        continue;
      }
      collapsed_text_.push_back(' ');
      for (++i; i < text_.size() && IsHtmlSpace(text_[i]); ++i) {
        collapsed_[i] = collapsed_text_.size();
      }
    }
    collapsed_[text_.size()] = collapsed_text_.size();
  }

  int SentenceOffset(size_t k, size_t pos) const {
    return static_cast<int>(collapsed_[pos] - collapsed_[ranges_[k].begin]);
  }

  std::string WrittenClose(const Element& element) const {
    const Item& open = items_[element.open];
    return absl::StrCat(
        "</", Bytes(open.begin + 1, open.begin + 1 + open.name.size()), ">");
  }

  // What an item writes: its bytes, or for an implied closing tag one
  // written after the element's opening tag.
  std::string ItemBytes(const Item& item) const {
    return item.implied ? WrittenClose(elements_[item.element])
                        : std::string(Bytes(item.begin, item.end));
  }

  // Which elements and atoms each sentence carries, and which tags
  // around it become its own.
  void DescribeSentences() {
    std::vector<int> active;  // elements open at the sentence's start
    std::vector<int> piece_of(elements_.size(), -1);
    size_t next_element = 0;
    size_t next_item = 0;
    for (size_t k = 0; k < ranges_.size(); ++k) {
      const TextRange& s = ranges_[k];
      const size_t gap_start = k == 0 ? 0 : ranges_[k - 1].end;
      const size_t gap_end =
          k + 1 < ranges_.size() ? ranges_[k + 1].begin : text_.size();
      SentenceMarkup& markup = markup_[k];
      texts_[k] = collapsed_text_.substr(
          collapsed_[s.begin], collapsed_[s.end] - collapsed_[s.begin]);
      for (; next_element < elements_.size() &&
             elements_[next_element].begin <= s.begin;
           ++next_element) {
        if (elements_[next_element].closed) active.push_back(next_element);
      }
      active.erase(
          std::remove_if(active.begin(), active.end(),
                         [&](int e) { return elements_[e].end <= s.begin; }),
          active.end());
      std::vector<int> pieces;
      std::string closes;
      for (int e : active) {
        const Element& element = elements_[e];
        if (element.end >= s.end) continue;  // spans the whole sentence
        pieces.push_back(e);
        const bool pulled = element.begin >= gap_start;
        const bool handed_over = k > 0 &&
                                 ranges_[k - 1].begin < element.begin &&
                                 element.begin < ranges_[k - 1].end;
        Item& open = items_[element.open];
        if (pulled) open.consumed = true;
        if (!pulled && !handed_over) {
          closes.insert(0, WrittenClose(element));
        }
        AddPiece(k, e, Bytes(open.begin, open.end),
                 ItemBytes(items_[element.close]), &piece_of);
      }
      markup.prefix = closes;
      size_t inside = next_element;
      for (; inside < elements_.size() && elements_[inside].begin < s.end;
           ++inside) {
        const Element& element = elements_[inside];
        if (!element.closed) continue;
        pieces.push_back(inside);
        const Item& open = items_[element.open];
        Item& close = items_[element.close];
        std::string close_tag = ItemBytes(close);
        if (element.end >= s.end && element.end <= gap_end) {
          close.consumed = true;  // the tag right after the sentence
        } else if (element.end >= s.end) {
          close_tag = WrittenClose(element);
          const bool handed_over = k + 1 < ranges_.size() &&
                                   ranges_[k + 1].begin < element.end &&
                                   element.end < ranges_[k + 1].end;
          if (!handed_over) {
            absl::StrAppend(&markup.suffix, Bytes(open.begin, open.end));
          }
        }
        AddPiece(k, inside, Bytes(open.begin, open.end), close_tag, &piece_of);
      }
      // Atoms strictly inside the sentence.
      while (next_item < items_.size() && items_[next_item].pos <= s.begin) {
        ++next_item;
      }
      for (; next_item < items_.size() && items_[next_item].pos < s.end;
           ++next_item) {
        const Item& item = items_[next_item];
        if (item.role != Role::kAtom) continue;
        markup.atoms.push_back(
            {std::string(Bytes(item.begin, item.end)),
             SentenceOffset(k, item.pos),
             item.parent >= 0 ? piece_of[item.parent] : -1, item.pin,
             item.order,
             // A <br>'s own space after it makes it no word.
             item.name != "br" && IsHtmlSpace(text_[item.pos - 1]) &&
                 IsHtmlSpace(text_[item.pos]),
             item.name == "br" && !IsHtmlSpace(text_[item.pos - 1])});
      }
      for (int e : pieces) piece_of[e] = -1;
    }
  }

  void AddPiece(size_t k, int e, absl::string_view open_tag,
                absl::string_view close_tag, std::vector<int>* piece_of) {
    const Element& element = elements_[e];
    const TextRange& s = ranges_[k];
    SentenceMarkup& markup = markup_[k];
    (*piece_of)[e] = static_cast<int>(markup.elements.size());
    markup.elements.push_back(
        {std::string(open_tag), std::string(close_tag),
         SentenceOffset(k, std::max(element.begin, s.begin)),
         SentenceOffset(k, std::min(element.end, s.end)),
         element.parent >= 0 ? (*piece_of)[element.parent] : -1,
         items_[element.open].order});
  }

  // Keeps the bytes outside the sentences and places each sentence.
  absl::Status Emit() {
    size_t k = 0;
    std::vector<bool> placed(ranges_.size(), false);
    absl::Status status;
    const auto place = [&](size_t sentence) {
      if (placed[sentence] || !status.ok()) return;
      placed[sentence] = true;
      status = parts_.AddSentence(std::move(texts_[sentence]));
      if (status.ok()) parts_.markup.push_back(std::move(markup_[sentence]));
    };
    for (const Item& item : items_) {
      if (item.role != Role::kText) {
        while (k < ranges_.size() && ranges_[k].end <= item.pos) place(k++);
        if (k < ranges_.size() && ranges_[k].begin < item.pos) {
          place(k);  // inside the sentence: part of its markup
        } else if (!item.consumed) {
          parts_.Keep(ItemBytes(item));
        }
        continue;
      }
      size_t x = item.pos;
      while (x < item.pos_end) {
        while (k < ranges_.size() && ranges_[k].end <= x) place(k++);
        if (k == ranges_.size() || ranges_[k].begin >= item.pos_end) {
          KeepText(item, x, item.pos_end);
          break;
        }
        if (x < ranges_[k].begin) {
          KeepText(item, x, ranges_[k].begin);
          x = ranges_[k].begin;
        }
        place(k);
        x = std::min(item.pos_end, ranges_[k].end);
      }
    }
    while (k < ranges_.size()) place(k++);
    return status;
  }

  // Keeps the bytes of text item `item` from block offset x to y.
  void KeepText(const Item& item, size_t x, size_t y) {
    if (item.atomic) {
      if (x == item.pos) parts_.Keep(Bytes(item.begin, item.end));
      return;
    }
    parts_.Keep(
        Bytes(item.begin + (x - item.pos), item.begin + (y - item.pos)));
  }

  const absl::string_view html_;
  SentenceSplitter& splitter_;
  DocumentParts& parts_;
  // The current block.
  std::vector<Item> items_;
  std::vector<Element> elements_;
  std::string text_;               // its text, references decoded
  std::vector<TextRange> ranges_;  // its sentences in text_
  std::vector<size_t> collapsed_;
  std::string collapsed_text_;
  std::vector<SentenceMarkup> markup_;  // beside ranges_
  std::vector<std::string> texts_;      // beside ranges_
};

}  // namespace

absl::Status SegmentHtml(absl::string_view html, SentenceSplitter& splitter,
                         DocumentParts* parts) {
  return HtmlSegmenter(html, splitter, parts).Run();
}

}  // namespace glossa::server
