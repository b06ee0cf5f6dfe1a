// Inside <script>, `</script` ends the element and `<!--` changes the tokenizer state; neither may appear raw.
export function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}
