// The site's own script (it runs in the sandboxed frame): counts the characters of the message.
document.addEventListener('DOMContentLoaded', () => {
  const message = document.querySelector('#sign input[name=message]');
  if (!message) return;  // the counter goes after the button, so the labels stay in line
  const count = document.createElement('span');
  count.className = 'note';
  count.id = 'message-length';
  message.form.append(count);
  const update = () => { count.textContent = `${message.value.length} characters`; };
  message.addEventListener('input', update);
  update();
});
