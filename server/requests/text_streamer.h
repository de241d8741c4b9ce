#ifndef GLOSSA_SERVER_REQUESTS_TEXT_STREAMER_H_
#define GLOSSA_SERVER_REQUESTS_TEXT_STREAMER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "model/tokenizer/tokenizer.h"

namespace glossa::server {

// Turns a stream of generated token ids into text deltas.
//
// Tokens do not map to text one by one: a SentencePiece word-start piece
// only shows its space once something precedes it, and a character may be
// spread over several byte tokens. So the streamer decodes a short window
// (the previous token plus the new ones) and emits what the new tokens add,
// holding bytes back while they end in an incomplete UTF-8 character. It
// also watches for stop sequences on the decoded text and holds back a tail
// that could be the start of one, so that a stop sequence never reaches the
// client. Concatenating every delta gives exactly text().
class TextStreamer {
 public:
  // `tokenizer` must outlive the streamer.
  TextStreamer(const model::Tokenizer* tokenizer,
               std::vector<std::string> stop);

  struct Update {
    std::string delta;     // new text to send (may be empty)
    bool stopped = false;  // a stop sequence matched; stop decoding
  };

  // Adds one generated token. After a stop matched, further calls return
  // nothing.
  Update Append(int token_id);
  // Decoding ended (EOS, length, cancel): releases all held-back text.
  Update Finish();

  // Text emitted so far (final once Finish() or a stop happened).
  const std::string& text() const { return emitted_; }
  // The stop sequence that matched, or empty.
  const std::string& matched_stop() const { return matched_stop_; }
  int num_tokens() const { return static_cast<int>(ids_.size()); }

 private:
  // Appends the text the pending tokens add to decoded_; `force` accepts an
  // incomplete character (the stream is over).
  void DecodePending(bool force);
  // Moves what is safe from decoded_ to emitted_.
  Update Release(bool final);

  const model::Tokenizer* const tokenizer_;
  const std::vector<std::string> stop_;
  std::vector<int> ids_;
  size_t prefix_offset_ = 0;  // window start (context token)
  size_t read_offset_ = 0;    // tokens before this are in decoded_
  std::string decoded_;       // text of ids_[0, read_offset_)
  std::string emitted_;       // prefix of decoded_ sent to the client
  std::string matched_stop_;
  bool done_ = false;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_REQUESTS_TEXT_STREAMER_H_
